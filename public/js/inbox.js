// The inbox in the browser: live updates (htmx SSE extension + out-of-band swaps) that keep focus and
// open menus where they were and announce new messages politely, the composer (Enter sends, typing
// presence, canned responses), keyboard shortcuts (off per person), and new-message alerts.
// Everything here enhances pages that already work with plain links and forms.
(function () {
  'use strict';

  // app.js (loaded first) knows the page's CSRF token.
  var csrf = window.ChatX.csrfToken;

  function byAt(list, el, newestFirst) {
    // Insert el among list's children ordered by data-at, ignoring children without one.
    var at = Number(el.getAttribute('data-at'));
    var children = list.children;
    for (var i = 0; i < children.length; i++) {
      var other = children[i];
      if (other === el || !other.hasAttribute('data-at')) continue;
      var otherAt = Number(other.getAttribute('data-at'));
      if (newestFirst ? at > otherAt : at < otherAt) {
        list.insertBefore(el, other);
        return;
      }
    }
    var tail = list.id === 'conversation-list' ? document.getElementById('list-more') : null;
    if (tail && tail.parentNode === list) list.insertBefore(el, tail);
    else list.appendChild(el);
  }

  function nearBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 120;
  }

  // --- Live updates -------------------------------------------------------------------------
  // Every live fragment carries elements with ids and hx-swap-oob: an element already on the page
  // is replaced by htmx. A new message or row has no counterpart yet, so before htmx swaps we take
  // those out and insert them where they belong (by time); a delete for something not shown is dropped.
  function insertNew(el) {
    el.removeAttribute('hx-swap-oob');
    if (el.id.indexOf('message-') === 0) {
      var messages = document.getElementById('messages');
      if (!messages) return;
      var stick = nearBottom(messages);
      var empty = document.getElementById('messages-empty');
      if (empty) empty.remove();
      byAt(messages, el, false);
      htmx.process(el);
      if (stick) messages.scrollTop = messages.scrollHeight;
      if (el.getAttribute('data-direction') === 'in') {
        if (window.ChatX.alerts) window.ChatX.alerts.message(el);
        seen();
      }
    } else if (el.id.indexOf('activity-') === 0) {
      // "Maria assigned Sam · 10:42": among the messages by time (item 4).
      var thread = document.getElementById('messages');
      if (!thread) return;
      var keep = nearBottom(thread);
      byAt(thread, el, false);
      if (keep) thread.scrollTop = thread.scrollHeight;
    } else if (el.id.indexOf('conv-row-') === 0) {
      var list = document.getElementById('conversation-list');
      // A list filtered by typed words shows only what matched: a row new to it is not added (item 8).
      if (!list || list.hasAttribute('data-searching')) return;
      var none = document.getElementById('list-empty');
      if (none) none.remove();
      byAt(list, el, list.getAttribute('data-order') !== 'asc');
      htmx.process(el);
      if (unreadOf(el) > 0) announceRow(el, true);
      rowChanged(el);
    }
  }

  function applyLive(elt, data) {
    var template = document.createElement('template');
    template.innerHTML = data;
    var fresh = [];
    Array.prototype.forEach.call(template.content.querySelectorAll('[hx-swap-oob]'), function (el) {
      if (!el.id || document.getElementById(el.id)) return;
      el.remove();
      if (el.getAttribute('hx-swap-oob') !== 'delete') fresh.push(el);
    });
    var kept = keepPlace();
    if (template.innerHTML.trim()) htmx.swap(elt, template.innerHTML, { swapStyle: 'none' });
    fresh.forEach(function (el) {
      insertNew(document.importNode(el, true));
    });
    kept();
  }

  // --- Keeping the person's place across live updates (item 13) ------------------------------
  // A live update replaces rows and the thread head while someone is on them: focus returns to the
  // same element (by id, or by its place inside the nearest element with an id), an open menu stays
  // open, and what was chosen in it stays chosen.
  function placeOf(el) {
    if (el.id) return { id: el.id };
    var host = el.parentElement && el.parentElement.closest('[id]');
    if (!host) return null;
    return { host: host.id, tag: el.tagName, index: Array.prototype.indexOf.call(host.getElementsByTagName(el.tagName), el) };
  }
  function find(place) {
    if (!place) return null;
    if (place.id) return document.getElementById(place.id);
    var host = document.getElementById(place.host);
    return host ? host.getElementsByTagName(place.tag)[place.index] || null : null;
  }
  function fieldsOf(el) {
    return Array.prototype.slice.call(el.querySelectorAll('input, select, textarea'));
  }
  function keepPlace() {
    var active = document.activeElement;
    var focus = active && active !== document.body ? placeOf(active) : null;
    var menus = Array.prototype.map.call(document.querySelectorAll('details[open]'), function (d) {
      return {
        place: placeOf(d),
        values: fieldsOf(d).map(function (f) {
          return f.type === 'checkbox' || f.type === 'radio' ? f.checked : f.value;
        }),
      };
    });
    return function restore() {
      menus.forEach(function (menu) {
        var d = find(menu.place);
        if (!d) return;
        d.open = true;
        var fields = fieldsOf(d);
        if (fields.length !== menu.values.length) return;
        fields.forEach(function (f, i) {
          if (f.type === 'hidden') return;
          if (f.type === 'checkbox' || f.type === 'radio') f.checked = menu.values[i];
          else f.value = menu.values[i];
        });
      });
      var el = find(focus);
      if (el && el !== document.activeElement && typeof el.focus === 'function') el.focus({ preventScroll: true });
    };
  }

  // New conversations and messages are announced politely in one short line, never by reading the list.
  function announce(text) {
    var region = document.getElementById('inbox-announcer');
    if (!region || !text) return;
    region.textContent = '';
    setTimeout(function () {
      region.textContent = text;
    }, 50);
  }
  function unreadOf(row) {
    var badge = row.querySelector('.badge');
    return badge ? Number(badge.textContent) || 0 : 0;
  }
  function announceRow(row, isNew) {
    var who = row.querySelector('.who');
    var preview = row.querySelector('.preview');
    var name = who ? who.textContent.trim() : 'a customer';
    var text = preview ? preview.textContent.trim().slice(0, 100) : '';
    announce((isNew ? 'New conversation with ' : 'New message from ') + name + (text ? ': ' + text : ''));
  }

  // While a boosted navigation is in flight, live fragments wait. Swapping one could replace the
  // element that made the request (the clicked row, the thread head holding the form), and htmx
  // then skips updating the address bar. Afterwards they are applied if this page is still shown;
  // a new page has its own stream, which catches up from where its render began.
  var navigating = false;
  var waiting = [];
  function navigationDone(event) {
    if (!event.detail.boosted || !navigating) return;
    navigating = false;
    var list = waiting;
    waiting = [];
    list.forEach(function (m) {
      if (document.body.contains(m.elt)) applyLive(m.elt, m.data);
    });
  }
  document.addEventListener('htmx:beforeRequest', function (event) {
    if (event.detail.boosted) navigating = true;
  });
  document.addEventListener('htmx:afterSwap', navigationDone);
  document.addEventListener('htmx:afterRequest', navigationDone);

  document.body.addEventListener('htmx:sseBeforeMessage', function (event) {
    event.preventDefault();
    var elt = event.detail.elt || event.target;
    if (navigating) waiting.push({ elt: elt, data: event.detail.data });
    else applyLive(elt, event.detail.data);
  });

  // A row whose last message changed moves to its place in the list. detail.target is the element
  // the swap replaced (already detached); the new one is found by its id.
  document.body.addEventListener('htmx:oobAfterSwap', function (event) {
    var old = event.detail.target;
    var el = old && old.id ? document.getElementById(old.id) : null;
    if (el && el.id.indexOf('conv-row-') === 0 && el.parentNode) {
      // More unread than before: the customer wrote (a reply of ours or a read changes no count upward).
      if (unreadOf(el) > unreadOf(old)) announceRow(el, false);
      byAt(el.parentNode, el, el.parentNode.getAttribute('data-order') !== 'asc');
      rowChanged(el);
    }
    if (el && el.id === 'unread-total') updateTitle();
  });

  // --- "Seen" for the customer ----------------------------------------------------------------
  // Messenger shows the customer "Seen" only when a person has the conversation in front of them:
  // the page says so with a POST when it shows a conversation (loaded, navigated to, a new message
  // in it, or the tab coming back into view). Loading the page alone tells Meta nothing.
  var seenTimer = 0;
  function seen() {
    var open = document.querySelector('[data-conversation-id]');
    if (!open || document.visibilityState !== 'visible') return;
    clearTimeout(seenTimer);
    seenTimer = setTimeout(function () {
      fetch('/conversations/' + open.getAttribute('data-conversation-id') + '/seen', {
        method: 'POST',
        headers: { 'X-CSRF-Token': csrf() },
        credentials: 'same-origin',
      }).catch(function () {});
    }, 250);
  }
  document.addEventListener('DOMContentLoaded', seen);
  document.addEventListener('htmx:afterSettle', function (event) {
    if (event.detail.boosted) seen();
  });
  document.addEventListener('visibilitychange', seen);

  // --- Unread count in the tab title ---------------------------------------------------------
  var baseTitle = document.title.replace(/^\(\d+\) /, '');
  function updateTitle() {
    var el = document.getElementById('unread-total');
    var n = el ? Number(el.getAttribute('data-count')) : 0;
    document.title = (n > 0 ? '(' + n + ') ' : '') + baseTitle;
  }
  document.addEventListener('htmx:load', function () {
    baseTitle = document.title.replace(/^\(\d+\) /, '');
    updateTitle();
  });

  // --- New-message and assignment alerts: public/js/alerts.js hears of every list row changed live ---
  function rowChanged(row) {
    row.dispatchEvent(new CustomEvent('chatx:row', { bubbles: true, detail: { row: row } }));
  }

  // --- Filters submit themselves -------------------------------------------------------------
  document.addEventListener('change', function (event) {
    var el = event.target;
    if (el instanceof HTMLElement && el.hasAttribute('data-autosubmit') && el.form) el.form.requestSubmit();
    if (el instanceof HTMLInputElement && el.type === 'file' && el.closest('[data-composer]')) {
      var names = el.closest('[data-composer]').querySelector('[data-file-names]');
      if (names)
        names.textContent = Array.prototype.map
          .call(el.files, function (f) {
            return f.name;
          })
          .join(', ');
    }
  });

  // --- Composer ------------------------------------------------------------------------------
  var lastTyping = 0;
  document.addEventListener('keydown', function (event) {
    var el = event.target;
    if (!(el instanceof HTMLTextAreaElement) || !el.hasAttribute('data-composer-input')) return;
    var menu = document.getElementById('canned-menu');
    if (menu && !menu.hidden && cannedKey(event, el, menu)) return;
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (el.value.trim() || (el.form.querySelector('input[type=file]') || {}).files?.length) el.form.requestSubmit();
      return;
    }
    var now = Date.now();
    var url = el.form.getAttribute('data-typing-url');
    if (url && now - lastTyping > 4000 && event.key.length === 1) {
      lastTyping = now;
      fetch(url, { method: 'POST', headers: { 'X-CSRF-Token': csrf() }, credentials: 'same-origin' }).catch(function () {});
    }
  });

  // Canned responses: "/" at the start of a word opens a menu of matches.
  var cannedTimer = 0;
  document.addEventListener('input', function (event) {
    var el = event.target;
    if (!(el instanceof HTMLTextAreaElement) || !el.hasAttribute('data-composer-input')) return;
    var menu = document.getElementById('canned-menu');
    var url = el.form.getAttribute('data-canned-url');
    if (!menu || !url) return;
    var before = el.value.slice(0, el.selectionStart);
    var m = /(^|\s)\/([^\s/]*)$/.exec(before);
    if (!m) {
      menu.hidden = true;
      return;
    }
    clearTimeout(cannedTimer);
    cannedTimer = setTimeout(function () {
      fetch(url + '?q=' + encodeURIComponent(m[2]), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) {
          return r.ok ? r.json() : { data: [] };
        })
        .then(function (body) {
          showCanned(menu, body.data || []);
        })
        .catch(function () {
          menu.hidden = true;
        });
    }, 120);
  });

  function showCanned(menu, items) {
    menu.innerHTML = '';
    items.slice(0, 8).forEach(function (item, i) {
      var li = document.createElement('li');
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', i === 0 ? 'true' : 'false');
      li.dataset.text = item.text;
      var key = document.createElement('strong');
      key.textContent = '/' + item.shortcut;
      var text = document.createElement('span');
      text.textContent = ' ' + item.text.slice(0, 80);
      li.appendChild(key);
      li.appendChild(text);
      li.addEventListener('mousedown', function (e) {
        e.preventDefault();
        insertCanned(item.text);
      });
      menu.appendChild(li);
    });
    menu.hidden = items.length === 0;
  }

  function insertCanned(text) {
    var el = document.querySelector('[data-composer-input]');
    var menu = document.getElementById('canned-menu');
    if (!el) return;
    var start = el.selectionStart;
    var before = el.value.slice(0, start).replace(/(^|\s)\/[^\s/]*$/, '$1');
    el.value = before + text + el.value.slice(start);
    el.selectionStart = el.selectionEnd = (before + text).length;
    if (menu) menu.hidden = true;
    el.focus();
  }

  function cannedKey(event, el, menu) {
    var items = Array.prototype.slice.call(menu.children);
    var current = items.findIndex(function (li) {
      return li.getAttribute('aria-selected') === 'true';
    });
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      var next = (current + (event.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      items.forEach(function (li, i) {
        li.setAttribute('aria-selected', i === next ? 'true' : 'false');
      });
      return true;
    }
    if ((event.key === 'Enter' || event.key === 'Tab') && items[current]) {
      event.preventDefault();
      insertCanned(items[current].dataset.text);
      return true;
    }
    if (event.key === 'Escape') {
      menu.hidden = true;
      return true;
    }
    return false;
  }

  // --- Keyboard shortcuts --------------------------------------------------------------------
  function typingInField(el) {
    return el instanceof HTMLElement && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function move(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll('#conversation-list .conversation-row a'));
    if (rows.length === 0) return;
    var index = rows.findIndex(function (a) {
      return a.closest('.current') || a === document.activeElement;
    });
    var next = rows[Math.max(0, Math.min(rows.length - 1, index + step))] || rows[0];
    next.click();
  }

  // Single-key shortcuts can be switched off per person on the Account page (WCAG 2.1.4): a stray
  // key then does nothing.
  function shortcutsOn() {
    var live = document.querySelector('[data-live]');
    return !live || live.getAttribute('data-shortcuts') !== 'off';
  }

  document.addEventListener('keydown', function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typingInField(event.target) || !shortcutsOn()) return;
    var dialog = document.getElementById('shortcuts');
    if (event.key === 'j') move(1);
    else if (event.key === 'k') move(-1);
    else if (event.key === 'r') {
      var input = document.querySelector('[data-composer-input]');
      if (input) {
        event.preventDefault();
        input.focus();
      }
    } else if (event.key === 'e') {
      var resolve = document.querySelector('[data-shortcut="resolve"]');
      if (resolve) resolve.click();
    } else if (event.key === '/') {
      var search = document.querySelector('[data-shortcut="search"]');
      if (search) {
        event.preventDefault();
        search.focus();
      }
    } else if (event.key === '?' && dialog && typeof dialog.showModal === 'function') {
      dialog.showModal();
    } else return;
  });

  // Opening a conversation (a row, j/k, a search hit) swaps the whole page and focus would fall to
  // <body>, far from the reply box: it goes to the thread's heading instead, from where Tab reaches
  // the conversation's actions and the composer, and screen readers say whose conversation it is.
  document.addEventListener('htmx:afterSettle', function (event) {
    if (!event.detail.boosted) return;
    var active = document.activeElement;
    if (active && active !== document.body) return;
    var title = document.getElementById('thread-title');
    if (title) title.focus({ preventScroll: true });
  });

  // Keep the newest message in view when a conversation opens. On a phone the page scrolls rather
  // than the messages: there the newest ones and the composer are brought into view.
  function toBottom(messages) {
    messages.scrollTop = messages.scrollHeight;
    if (messages.scrollHeight <= messages.clientHeight && window.matchMedia('(max-width: 720px)').matches) {
      window.scrollTo(0, document.documentElement.scrollHeight);
    }
  }
  document.addEventListener('htmx:load', function (event) {
    var root = event.detail.elt.querySelector ? event.detail.elt : null;
    if (!root) return;
    // The list scrolls on its own: keep the open conversation's row in it visible.
    var current = root.querySelector('#conversation-list .conversation-row.current');
    var list = current && current.parentNode;
    if (current && list.scrollHeight > list.clientHeight) {
      list.scrollTop = Math.max(0, current.offsetTop - list.offsetTop - list.clientHeight / 3);
    }
    var messages = root.querySelector('#messages');
    if (messages && !location.hash) toBottom(messages);
  });
  // An image that loads afterwards pushes the newest messages down: follow it if they were in view.
  document.addEventListener(
    'load',
    function (event) {
      var img = event.target;
      var messages = img instanceof Element && img.tagName === 'IMG' ? img.closest('#messages') : null;
      if (!messages || location.hash) return;
      var scroller = messages.scrollHeight > messages.clientHeight ? messages : null;
      var below = scroller
        ? scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight
        : document.documentElement.scrollHeight - window.scrollY - window.innerHeight;
      if (below - img.offsetHeight < 120) toBottom(messages);
    },
    true,
  );

  // A search hit opens the conversation at #message-N: mark it, since :target only follows full loads.
  function markHit() {
    var m = /^#message-(\d+)$/.exec(location.hash);
    var old = document.querySelectorAll('.message.hit');
    Array.prototype.forEach.call(old, function (el) {
      el.classList.remove('hit');
    });
    var hit = m && document.getElementById('message-' + m[1]);
    if (hit) {
      hit.classList.add('hit');
      hit.scrollIntoView({ block: 'center' });
    }
  }
  document.addEventListener('htmx:load', markHit);
  window.addEventListener('hashchange', markHit);

  // The send button says what it will do.
  document.addEventListener('change', function (event) {
    var el = event.target;
    if (!(el instanceof HTMLInputElement) || el.name !== 'mode') return;
    var form = el.closest('[data-composer]');
    var button = form && form.querySelector('[data-send]');
    if (button) button.textContent = el.value === 'note' ? 'Add note' : 'Send';
  });
})();
