// The AI in the composer and its toasts (the partials are views/inbox/_ai-*.ejs and
// _handoff-toast.ejs; the routes src/ai/conversation-routes.ts). A suggested reply that was asked
// for replaces the composer's text; one that arrives by itself (the live stream) fills the composer
// only when it is empty, and otherwise waits behind "use it", so nobody's typing is overwritten.
// Alt+S asks for a suggestion. Nothing here is needed for the page to work without the AI.
(function () {
  'use strict';

  function composer() {
    return document.querySelector('[data-composer-input]');
  }

  function fill(text) {
    var input = composer();
    if (!input) return;
    input.value = text;
    input.focus();
    input.selectionStart = input.selectionEnd = input.value.length;
  }

  // A draft box (#ai-draft) as it was rendered, swapped in, or arrived live.
  function showDraft(box) {
    var text = box.getAttribute('data-text');
    var state = box.getAttribute('data-state');
    var input = composer();
    if (text === null || !input) return;
    var use = box.querySelector('[data-ai-use]');
    var note = box.querySelector('[data-ai-draft-note]');
    var empty = !input.value.trim() || input.value === text;
    if (state === 'asked' || (state === 'live' && empty)) {
      if (input.value !== text) fill(text);
      box.setAttribute('data-state', 'shown');
    } else if (state === 'live' || state === 'waiting') {
      if (note) note.textContent = 'A suggested reply is ready.';
      if (use) use.hidden = false;
    }
  }

  function within(root, selector) {
    if (!(root instanceof Element)) return null;
    return root.matches(selector) ? root : root.querySelector(selector);
  }

  document.addEventListener('htmx:load', function (event) {
    var root = event.detail.elt;
    var box = within(root, '#ai-draft');
    if (box) showDraft(box);
    // A helper's answer (improve, shorten, translate) replaces the composer's text.
    var answer = within(root, '[data-ai-fill]');
    if (answer) {
      fill(answer.getAttribute('data-ai-fill'));
      answer.removeAttribute('data-ai-fill');
    }
    // The same conversation handed over again: one toast for it is enough.
    var toast = within(root, '.toast[data-conversation-id]');
    if (toast) {
      var id = toast.getAttribute('data-conversation-id');
      document.querySelectorAll('.toast[data-conversation-id="' + id + '"]').forEach(function (other) {
        if (other !== toast) other.remove();
      });
    }
  });

  // A new request from the AI bar clears what the last one said.
  document.addEventListener('htmx:beforeRequest', function (event) {
    var elt = event.detail.elt;
    if (!(elt instanceof Element) || !elt.closest('.ai-bar')) return;
    var status = document.getElementById('ai-status');
    if (status) status.textContent = '';
  });

  document.addEventListener('click', function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var use = target.closest('[data-ai-use]');
    if (use) {
      var box = use.closest('#ai-draft');
      fill(box.getAttribute('data-text'));
      box.setAttribute('data-state', 'shown');
      use.hidden = true;
      var note = box.querySelector('[data-ai-draft-note]');
      if (note) note.textContent = '— edit before sending.';
      return;
    }
    // Dismissing a draft takes it out of the composer too, unless someone has changed it.
    var dismiss = target.closest('[data-ai-dismiss]');
    if (dismiss) {
      var input = composer();
      var draft = dismiss.closest('#ai-draft');
      if (input && draft && input.value === draft.getAttribute('data-text')) input.value = '';
      return;
    }
    var close = target.closest('[data-ai-close]');
    if (close) {
      var summary = close.closest('#ai-summary');
      summary.innerHTML = '';
      summary.removeAttribute('role');
      return;
    }
    var toastClose = target.closest('[data-toast-close]');
    if (toastClose) toastClose.closest('.toast').remove();
  });

  // Alt+S: suggest a reply (also while typing in the composer). `code`, since Alt changes the key on a Mac.
  document.addEventListener('keydown', function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.code !== 'KeyS') return;
    var suggest = document.querySelector('[data-shortcut="ai-suggest"]');
    if (!suggest) return;
    event.preventDefault();
    suggest.click();
  });
})();
