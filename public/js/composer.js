// The reply box's size and wording (issue 13, items 3 and 10). It stays one line until used: focusing
// it marks the form `.composing` (the stylesheet gives it room) until a click or focus lands outside
// the composer, so a click on "Private note", Attach or Send never moves what is under the pointer.
// The placeholder says whether a reply or a private note is being written.
(function () {
  'use strict';

  function composing(el) {
    var form = el instanceof Element ? el.closest('[data-composer]') : null;
    document.querySelectorAll('[data-composer].composing').forEach(function (other) {
      if (other !== form) other.classList.remove('composing');
    });
    return form;
  }

  document.addEventListener('focusin', function (event) {
    var el = event.target;
    var form = composing(el);
    if (form && el instanceof HTMLTextAreaElement && el.hasAttribute('data-composer-input')) form.classList.add('composing');
  });
  document.addEventListener('pointerdown', function (event) {
    var el = event.target instanceof Element ? event.target : null;
    // Anywhere in the composer section (the reply window line, the AI bar) still counts as inside.
    var section = el && el.closest('#composer');
    if (!section) composing(null);
  });

  document.addEventListener('change', function (event) {
    var el = event.target;
    if (!(el instanceof HTMLInputElement) || el.name !== 'mode') return;
    var form = el.closest('[data-composer]');
    var input = form && form.querySelector('[data-composer-input]');
    var hint = input && input.getAttribute(el.value === 'note' ? 'data-placeholder-note' : 'data-placeholder-reply');
    if (hint) input.setAttribute('placeholder', hint);
  });
})();
