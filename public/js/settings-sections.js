// Settings used to be one long page with anchors (/settings#messenger); each section now has its own
// page. An old link or bookmark with such an anchor is sent on to its section's page.
(function () {
  'use strict';
  var SECTIONS = {
    business: '/settings/business',
    messenger: '/settings/messenger',
    canned: '/settings/canned',
    tokens: '/settings/tokens',
    'contact-fields': '/settings/contact-fields',
    labels: '/settings/labels',
    ai: '/settings/ai',
    key: '/privacy/manage#key',
    users: '/users',
  };

  function follow() {
    if (location.pathname !== '/settings' && location.pathname !== '/settings/') return;
    var target = SECTIONS[location.hash.slice(1)];
    if (target) location.replace(target);
  }

  follow();
  window.addEventListener('hashchange', follow);
  document.addEventListener('htmx:afterSettle', follow);
})();
