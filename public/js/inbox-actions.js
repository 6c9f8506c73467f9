// The inbox's action controls (issue 13, items 4, 5 and 8): the conversation header's menus (assignee,
// label picker, snooze) opened by a button with aria-expanded, walked with Tab or the arrow keys and
// closed by Esc (focus back on the button); the list's bulk selection; and the notice an action
// leaves ("Snoozed until …", with Undo), which goes away by itself after a few seconds.
(function () {
  'use strict';

  // --- Menus -----------------------------------------------------------------------------------
  function bodyOf(button) {
    return document.getElementById(button.getAttribute('aria-controls'));
  }
  function items(body) {
    return Array.prototype.filter.call(body.querySelectorAll('button, input:not([type=hidden]), select, a[href]'), function (el) {
      return !el.hidden && !el.disabled && el.offsetParent !== null;
    });
  }
  function close(button, refocus) {
    var body = bodyOf(button);
    button.setAttribute('aria-expanded', 'false');
    if (body) body.hidden = true;
    if (refocus) button.focus();
  }
  function closeAll(except) {
    document.querySelectorAll('[data-popover] > [aria-expanded="true"]').forEach(function (b) {
      if (b !== except) close(b, false);
    });
  }
  function open(button, focusFirst) {
    var body = bodyOf(button);
    if (!body) return;
    closeAll(button);
    button.setAttribute('aria-expanded', 'true');
    body.hidden = false;
    var at = body.querySelector('[data-snooze-at]');
    if (at) at.min = localNow();
    var filter = body.querySelector('[data-label-filter]');
    if (filter) filterLabels(filter);
    if (focusFirst) {
      var first = filter || items(body)[0];
      if (first) first.focus();
    }
  }
  function localNow() {
    var d = new Date(Date.now() + 60000);
    var pad = function (n) {
      return String(n).padStart(2, '0');
    };
    return (
      d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes())
    );
  }

  document.addEventListener('click', function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var button = target.closest('[data-popover] > [aria-expanded]');
    if (button) {
      if (button.getAttribute('aria-expanded') === 'true') close(button, false);
      else open(button, event.detail === 0);
      return;
    }
    if (!target.closest('[data-popover]')) closeAll(null);
  });

  document.addEventListener('keydown', function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var popover = target && target.closest('[data-popover]');
    if (!popover) return;
    var button = popover.querySelector(':scope > [aria-expanded]');
    var body = bodyOf(button);
    if (event.key === 'Escape' && button.getAttribute('aria-expanded') === 'true') {
      event.preventDefault();
      event.stopPropagation();
      close(button, true);
      return;
    }
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    if (target === button) {
      event.preventDefault();
      open(button, true);
      return;
    }
    if (!body || body.hidden) return;
    var list = items(body);
    var i = list.indexOf(target);
    if (i < 0 || (target.tagName === 'SELECT' && !event.altKey)) return;
    event.preventDefault();
    var next = list[(i + (event.key === 'ArrowDown' ? 1 : list.length - 1)) % list.length];
    if (next) next.focus();
  });

  // The header's "More" (a <details>) closes the same way: Esc, back on its summary; a click elsewhere.
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') return;
    var open = document.querySelector('details.menu[open]');
    if (!open || (event.target instanceof Element && event.target.closest('[data-popover]'))) return;
    event.preventDefault();
    open.open = false;
    var summary = open.querySelector('summary');
    if (summary) summary.focus();
  });
  document.addEventListener('click', function (event) {
    var target = event.target instanceof Element ? event.target : null;
    document.querySelectorAll('details.menu[open]').forEach(function (d) {
      if (target && !d.contains(target)) d.open = false;
    });
  });

  // Focus leaving a menu (Tab past its last item) closes it.
  document.addEventListener('focusout', function (event) {
    var popover = event.target instanceof Element ? event.target.closest('[data-popover]') : null;
    if (!popover) return;
    setTimeout(function () {
      // A live update replaced the header (and the menu with it): the new menu keeps its place.
      if (!popover.isConnected) return;
      if (!popover.contains(document.activeElement) && document.activeElement !== document.body) {
        var button = popover.querySelector(':scope > [aria-expanded="true"]');
        if (button) close(button, false);
      }
    }, 0);
  });

  // A live update replaces the header: a menu open in it stays open, with what was typed in it.
  var reopen = null;
  document.body.addEventListener('htmx:oobBeforeSwap', function (event) {
    var target = event.detail.target;
    if (!target || target.id !== 'thread-head') return;
    var button = target.querySelector('[data-popover] > [aria-expanded="true"]');
    var filter = target.querySelector('[data-label-filter]');
    reopen = button ? { id: button.id, typed: filter ? filter.value : '' } : null;
  });
  document.body.addEventListener('htmx:oobAfterSwap', function (event) {
    var target = event.detail.target;
    if (!target || target.id !== 'thread-head' || !reopen) return;
    var button = document.getElementById(reopen.id);
    var filter = document.querySelector('#thread-head [data-label-filter]');
    if (filter) filter.value = reopen.typed;
    if (button) open(button, false);
    reopen = null;
  });

  // --- Label picker: typing filters the suggestions and offers to add a new one ---------------
  function filterLabels(input) {
    var form = input.form;
    var typed = input.value.trim().replace(/\s+/g, ' ');
    var lower = typed.toLowerCase();
    var exact = false;
    form.querySelectorAll('[data-label-name]').forEach(function (b) {
      var name = b.getAttribute('data-label-name').toLowerCase();
      if (name === lower) exact = true;
      b.hidden = lower !== '' && name.indexOf(lower) < 0;
    });
    var create = form.querySelector('[data-label-create]');
    if (create) {
      create.hidden = typed === '' || exact;
      create.querySelector('[data-label-typed]').textContent = typed;
    }
  }
  document.addEventListener('input', function (event) {
    if (event.target instanceof HTMLInputElement && event.target.hasAttribute('data-label-filter')) filterLabels(event.target);
  });
  document.addEventListener('keydown', function (event) {
    var el = event.target;
    if (!(el instanceof HTMLInputElement) || !el.hasAttribute('data-label-filter') || event.key !== 'Enter') return;
    // Enter adds what was typed (an existing label by its name, or a new one); nothing typed, nothing sent.
    event.preventDefault();
    if (el.value.trim()) el.form.requestSubmit(el.form.querySelector('[data-label-create]'));
  });

  // --- Bulk selection in the list ---------------------------------------------------------------
  var selected = new Set();
  function rowBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll('#conversation-list [data-row-select]'));
  }
  function syncBulk() {
    var bar = document.querySelector('[data-bulk-bar]');
    if (!bar) return;
    var boxes = rowBoxes();
    boxes.forEach(function (b) {
      b.checked = selected.has(b.value);
    });
    // Only what is on screen can be acted on.
    var shown = new Set(
      boxes.map(function (b) {
        return b.value;
      }),
    );
    selected.forEach(function (id) {
      if (!shown.has(id)) selected.delete(id);
    });
    var n = selected.size;
    var all = bar.querySelector('[data-select-all]');
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
      all.disabled = boxes.length === 0;
    }
    var count = bar.querySelector('[data-bulk-count]');
    if (count) count.textContent = n ? n + ' selected' : 'Select all';
    var actions = bar.querySelector('[data-bulk-actions]');
    if (actions) actions.hidden = n === 0;
    bar.classList.toggle('has-selection', n > 0);
  }
  document.addEventListener('change', function (event) {
    var el = event.target;
    if (!(el instanceof HTMLInputElement)) return;
    if (el.hasAttribute('data-row-select')) {
      if (el.checked) selected.add(el.value);
      else selected.delete(el.value);
      syncBulk();
    } else if (el.hasAttribute('data-select-all')) {
      rowBoxes().forEach(function (b) {
        if (el.checked) selected.add(b.value);
        else selected.delete(b.value);
      });
      syncBulk();
    }
  });
  // Rows replaced by a live update or a search keep their tick.
  document.addEventListener('htmx:load', syncBulk);
  document.body.addEventListener('htmx:oobAfterSwap', syncBulk);
  document.addEventListener('htmx:afterSettle', syncBulk);
  document.addEventListener('DOMContentLoaded', syncBulk);
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute('data-bulk-bar') && selected.size === 0) event.preventDefault();
    if (form instanceof HTMLFormElement && form.hasAttribute('data-bulk-bar')) selected.clear();
  });

  // --- Notices -----------------------------------------------------------------------------------
  var NOTICE_MS = 8000;
  function showNotice(root) {
    var notice = root.querySelector ? root.querySelector('[data-notice]') : null;
    if (!notice) return;
    var focusId = notice.getAttribute('data-notice-focus');
    var row = focusId && document.getElementById('conv-row-' + focusId);
    if (row) {
      row.classList.add('just-changed');
      row.scrollIntoView({ block: 'nearest' });
      var link = row.querySelector('a');
      if (link) link.focus({ preventScroll: true });
    }
    if (notice.classList.contains('has-problems')) return;
    // Gone after a few seconds, but not while the pointer or the focus is on it (the Undo button).
    var left = NOTICE_MS;
    var timer = 0;
    var start = 0;
    function run() {
      start = Date.now();
      timer = setTimeout(function () {
        notice.remove();
      }, left);
    }
    function pause() {
      clearTimeout(timer);
      left = Math.max(1500, left - (Date.now() - start));
    }
    notice.addEventListener('mouseenter', pause);
    notice.addEventListener('mouseleave', run);
    notice.addEventListener('focusin', pause);
    notice.addEventListener('focusout', run);
    run();
  }
  document.addEventListener('htmx:load', function (event) {
    showNotice(event.detail.elt);
  });
})();
