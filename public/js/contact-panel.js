// The contact panel beside a conversation (views/crm/_contact-panel.ejs) is a <details>: this
// remembers whether it was left open or folded, in localStorage, and applies that whenever a panel
// appears (a page load, an htmx swap after a save). A phone starts with it folded below the thread.
(function () {
  'use strict';

  var KEY = 'chatx.contactPanel';

  function stored() {
    try {
      return window.localStorage.getItem(KEY);
    } catch (_e) {
      return null;
    }
  }

  function remember(open) {
    try {
      window.localStorage.setItem(KEY, open ? 'open' : 'closed');
    } catch (_e) {
      // Private windows may refuse storage; the panel then simply opens each time.
    }
  }

  function apply(root) {
    if (!root || !root.querySelectorAll) return;
    var panels = root.matches && root.matches('[data-contact-panel]') ? [root] : root.querySelectorAll('[data-contact-panel]');
    Array.prototype.forEach.call(panels, function (panel) {
      var state = stored();
      var phone = window.matchMedia && window.matchMedia('(max-width: 720px)').matches;
      // A panel answered after a save stays open: that is where the person is working.
      if (panel.querySelector('[role="status"], [role="alert"]')) return;
      panel.open = state ? state === 'open' : !phone;
    });
  }

  // The toggle event does not bubble: listen in the capture phase. Our own change is stored too,
  // which only writes down what was already the rule.
  document.addEventListener(
    'toggle',
    function (event) {
      var panel = event.target;
      if (panel && panel.matches && panel.matches('[data-contact-panel]')) remember(panel.open);
    },
    true,
  );

  document.addEventListener('DOMContentLoaded', function () {
    apply(document);
  });
  document.addEventListener('htmx:load', function (event) {
    apply(event.target);
  });
})();
