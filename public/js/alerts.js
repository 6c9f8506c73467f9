// What the inbox tells a person without being looked at (issue 13, items 10 and 11): a sound and a
// browser notification for a new customer message, a notification when someone else assigns a
// conversation to them (each per user, set on the account page), and the first conversation replacing
// "Your inbox is ready" as it arrives.
// inbox.js applies the live updates and reports each list row it changed as a `chatx:row` event, and
// a new message in the open conversation through ChatX.alerts.message. Browsers ask for the
// notification permission only after a click (the account page's button or its checkbox).
(function () {
  'use strict';

  function live() {
    return document.querySelector('[data-live]');
  }
  function prefs() {
    var el = live();
    return {
      sound: !!el && el.getAttribute('data-sound') === 'on',
      notify: !!el && el.getAttribute('data-notify') === 'on',
      userId: el ? el.getAttribute('data-user-id') || '' : '',
    };
  }
  function openConversationId() {
    var open = document.querySelector('[data-conversation-id]');
    return open ? open.getAttribute('data-conversation-id') : '';
  }

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx();
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.25);
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.25);
    } catch {
      /* no audio: nothing to do */
    }
  }

  /** A browser notification, if this person wants them and this browser allows them; a click opens the conversation. */
  function notify(title, body, conversationId, tag) {
    if (!prefs().notify || !('Notification' in window) || window.Notification.permission !== 'granted') return;
    try {
      var n = new window.Notification(title, { body: body, tag: tag, icon: '/static/img/icon-192.png' });
      n.onclick = function () {
        window.focus();
        if (conversationId) window.location.href = '/conversations/' + conversationId;
      };
    } catch {
      /* some mobile browsers only notify from a service worker: the sound and the title count remain */
    }
  }

  // --- Rows: what each list row showed last, so a change can be told apart from a page load ----------
  var rows = new Map();
  function stateOf(row) {
    var badge = row.querySelector('.badge');
    var time = row.querySelector('time[datetime]'); // data-at is the list's sort key, not always a time
    return {
      at: time ? Date.parse(time.getAttribute('datetime')) || 0 : 0,
      unread: badge ? Number(badge.textContent) || 0 : 0,
      assignee: row.getAttribute('data-assignee-id') || '',
      assignedBy: row.getAttribute('data-assigned-by') || '',
    };
  }
  function idOf(row) {
    return row.id.replace('conv-row-', '');
  }
  function textOf(row, selector) {
    var el = row.querySelector(selector);
    return el ? el.textContent.trim() : '';
  }
  function remember(root) {
    if (!root || !root.querySelectorAll) return;
    Array.prototype.forEach.call(root.querySelectorAll('[id^="conv-row-"]'), function (row) {
      rows.set(idOf(row), stateOf(row));
    });
  }
  // A page load, a boosted navigation or a whole new list: what it shows is the starting point, not news.
  document.addEventListener('DOMContentLoaded', function () {
    remember(document);
  });
  document.addEventListener('htmx:load', function (event) {
    var elt = event.detail.elt;
    if (elt instanceof Element && !/^conv-row-/.test(elt.id)) remember(elt);
  });

  document.addEventListener('chatx:row', function (event) {
    var row = event.detail && event.detail.row;
    if (!(row instanceof Element) || !row.id) return;
    var id = idOf(row);
    var before = rows.get(id);
    var now = stateOf(row);
    rows.set(id, now);
    var who = textOf(row, '.who') || 'A customer';
    var preview = textOf(row, '.preview');
    var me = prefs().userId;
    // Assigned to me, by someone else (the row names who made the latest assignment), just now.
    if (me && now.assignee === me && (before ? before.assignee !== me : true) && now.assignedBy !== me) {
      notify('Assigned to you: ' + who, preview || 'A conversation is now yours.', id, 'chatx-assigned-' + id);
    }
    // A new customer message in another conversation (the open one's messages come through ChatX.alerts.message).
    var fresh = before ? now.unread > before.unread && now.at > before.at : now.unread > 0 && Date.now() - now.at < 60000;
    if (fresh && id !== openConversationId()) {
      if (prefs().sound) beep();
      if (document.hidden) notify('New message from ' + who, preview || 'New message', id, 'chatx-message-' + id);
    }
  });

  window.ChatX = window.ChatX || {};
  window.ChatX.alerts = {
    /** A customer's message just arrived in the conversation open in this tab. */
    message: function (el) {
      if (prefs().sound) beep();
      if (!document.hidden) return;
      var text = el.querySelector('.text');
      var head = document.querySelector('.conversation-head h1');
      var who = head ? head.textContent.trim() : 'a customer';
      notify(
        'New message from ' + who,
        text ? text.textContent.slice(0, 120) : 'New message',
        openConversationId(),
        'chatx-message-' + openConversationId(),
      );
    },
  };

  // --- "Your inbox is ready" gives way to the list as soon as a first conversation arrives -------------
  document.addEventListener('chatx:row', function () {
    var ready = document.querySelector('.inbox-detail > .empty:not(.choose)');
    if (!ready) return;
    var choose = document.createElement('div');
    choose.className = 'empty choose';
    var p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'Choose a conversation.';
    choose.appendChild(p);
    ready.replaceWith(choose);
  });

  // --- Ticking "Show a browser notification" asks for the permission too (still within the click) -----
  // app.js's "Allow browser notifications" button does the asking and shows the answer.
  document.addEventListener('change', function (event) {
    var el = event.target;
    if (!(el instanceof HTMLInputElement) || el.name !== 'notify' || !el.checked) return;
    var ask = document.querySelector('[data-notify-permission]');
    if (ask && 'Notification' in window && window.Notification.permission === 'default') ask.click();
  });
})();
