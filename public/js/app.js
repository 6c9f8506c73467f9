// ChatX's own client script. htmx runs under a CSP without 'unsafe-eval', so behaviour that would
// need hx-on or trigger filters is wired here instead.
(function () {
  'use strict';

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  // Every htmx request carries the CSRF token in X-CSRF-Token.
  document.addEventListener('htmx:configRequest', function (event) {
    event.detail.headers['X-CSRF-Token'] = csrfToken();
  });

  // After a boosted navigation the new page's token replaces the old one (htmx swaps <body> only).
  document.addEventListener('htmx:afterSwap', function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || !xhr.responseText) return;
    var match = /<meta name="csrf-token" content="([^"]*)"/.exec(xhr.responseText);
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (match && meta) meta.setAttribute('content', match[1]);
  });

  // Forms with data-confirm ask first (e.g. removing a user).
  document.addEventListener(
    'submit',
    function (event) {
      var form = event.target;
      if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true,
  );

  // Read-only copy fields select their whole value on focus.
  document.addEventListener('focusin', function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.classList.contains('copyable')) el.select();
  });
})();
