// Copy buttons beside links meant to be pasted elsewhere (views/partials/copy-field.ejs): the
// clipboard API where the page may use it (https or localhost), else the text is selected so
// Ctrl+C / Cmd+C copies it. Either way a visible line says what happened.
(function () {
  'use strict';

  function say(button, text) {
    var status = button.parentNode.querySelector('.copy-status');
    if (!status) return;
    status.textContent = text;
    clearTimeout(status._chatxTimer);
    status._chatxTimer = setTimeout(function () {
      status.textContent = '';
    }, 4000);
  }

  function selectText(input) {
    input.focus();
    input.select();
    input.setSelectionRange(0, input.value.length);
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('.copy-button');
    if (!button) return;
    var input = document.getElementById(button.getAttribute('data-copy-target'));
    if (!input) return;
    var fallback = function () {
      selectText(input);
      say(button, 'Selected: press Ctrl+C (⌘C on a Mac) to copy');
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () {
        say(button, 'Copied');
      }, fallback);
    } else {
      fallback();
    }
  });
})();
