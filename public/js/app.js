// ChatX's own client script. htmx runs under a CSP without 'unsafe-eval', so behaviour that would
// need hx-on or trigger filters is wired here instead.
(function () {
  'use strict';

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }
  // The page's other script (inbox.js, loaded after this one) sends its own POSTs with the same token.
  window.ChatX = { csrfToken: csrfToken };

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

  // The account page's "Allow browser notifications": browsers only ask from a user gesture.
  function showNotificationPermission() {
    var button = document.querySelector('[data-notify-permission]');
    var state = document.querySelector('[data-notify-permission-state]');
    if (!button || !state) return;
    if (!('Notification' in window)) {
      state.textContent = 'This browser does not support notifications.';
      return;
    }
    var permission = window.Notification.permission;
    button.hidden = permission !== 'default';
    state.textContent =
      permission === 'granted'
        ? 'This browser may show ChatX notifications.'
        : permission === 'denied'
          ? 'This browser blocks ChatX notifications; allow them in the site settings of your browser.'
          : 'Browser notifications also need this browser’s permission.';
  }
  document.addEventListener('DOMContentLoaded', showNotificationPermission);
  document.addEventListener('htmx:load', showNotificationPermission);
  document.addEventListener('click', function (event) {
    var button = event.target instanceof Element ? event.target.closest('[data-notify-permission]') : null;
    if (!button || !('Notification' in window)) return;
    Promise.resolve(window.Notification.requestPermission()).then(showNotificationPermission, showNotificationPermission);
  });

  // Read-only copy fields select their whole value on focus.
  document.addEventListener('focusin', function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.classList.contains('copyable')) el.select();
  });

  // The sticky header's height, for the stylesheet's scroll-padding-top: a field reached with Tab
  // is scrolled into view below the header, not under it (item 13). Set through the CSSOM, which
  // the CSP allows (a style attribute would not be).
  function measureTopbar() {
    var bar = document.querySelector('.topbar');
    var sticky = bar && getComputedStyle(bar).position === 'sticky';
    document.documentElement.style.setProperty('--topbar-height', (sticky ? bar.offsetHeight : 0) + 'px');
  }
  document.addEventListener('DOMContentLoaded', measureTopbar);
  document.addEventListener('htmx:load', measureTopbar);
  window.addEventListener('resize', measureTopbar);

  // On a phone the navigation is a strip that scrolls sideways (issue 13, item 2): the current
  // page's link is brought into it, so "Users" or "Privacy" is not hidden past the edge.
  function showCurrentNavLink() {
    var nav = document.querySelector('.mainnav');
    var current = nav && nav.querySelector('[aria-current="page"]');
    if (!current || nav.scrollWidth <= nav.clientWidth) return;
    nav.scrollLeft = Math.max(0, current.offsetLeft - nav.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2);
  }
  document.addEventListener('DOMContentLoaded', showCurrentNavLink);
  document.addEventListener('htmx:load', showCurrentNavLink);
})();
