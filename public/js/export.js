// The Privacy page's "Export everything": the browser downloads the ZIP itself (so even a phone
// streams it to disk instead of holding it in memory), and this script shows how far the server has
// got, from GET /privacy/export/progress/<id>: the records written out of those counted when the
// export began. The id is made here and sent with the download, so the two can be matched.
(function () {
  'use strict';

  var POLL_MS = 400;
  // How long to wait for the download request to reach the server before saying it did not start.
  var START_TIMEOUT_MS = 30000;

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ('0' + b.toString(16)).slice(-2);
      })
      .join('');
  }

  function number(n) {
    return Number(n).toLocaleString();
  }

  function run(link) {
    var section = link.closest('section') || document;
    var box = section.querySelector('[data-export-progress]');
    var bar = box && box.querySelector('progress');
    var status = box && box.querySelector('[data-export-status]');
    if (!box || !bar || !status) return false;

    var id = randomId();
    var url = link.getAttribute('href') + '?progress=' + id;
    var began = Date.now();
    box.hidden = false;
    bar.removeAttribute('value'); // indeterminate until the records are counted
    status.textContent = 'Counting what to export…';
    link.setAttribute('aria-disabled', 'true');
    link.dataset.exportRunning = 'true';

    function finish(text) {
      status.textContent = text;
      delete link.dataset.exportRunning;
      link.removeAttribute('aria-disabled');
    }

    function poll() {
      fetch('/privacy/export/progress/' + id, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (res) {
          if (!res.ok) throw new Error('status ' + res.status);
          return res.json();
        })
        .then(function (p) {
          if (p.state === 'waiting') {
            if (Date.now() - began > START_TIMEOUT_MS) return finish('The export did not start. Reload the page and try again.');
            return window.setTimeout(poll, POLL_MS);
          }
          if (p.total > 0) {
            bar.max = p.total;
            bar.value = p.done;
          }
          if (p.state === 'done') {
            bar.max = Math.max(p.total, 1);
            bar.value = bar.max;
            return finish('Done: ' + number(p.total) + ' records exported. The ZIP file is in your downloads.');
          }
          if (p.state === 'failed')
            return finish(p.message || 'The export stopped before the end; the file is incomplete. Try again.');
          var percent = p.total ? Math.floor((100 * p.done) / p.total) : 0;
          status.textContent = 'Exporting… ' + number(p.done) + ' of ' + number(p.total) + ' records (' + percent + '%)';
          window.setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          finish('Lost track of the export (is the connection down?). Check your downloads.');
        });
    }

    // A link made for this one download: the browser saves the answer as a file and the page stays.
    var a = document.createElement('a');
    a.href = url;
    a.setAttribute('download', '');
    a.setAttribute('hx-boost', 'false');
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(poll, POLL_MS);
    return true;
  }

  document.addEventListener('click', function (event) {
    var link = event.target instanceof Element ? event.target.closest('[data-export-start]') : null;
    if (!link) return;
    event.preventDefault();
    if (link.dataset.exportRunning) return;
    // Without the progress box (an old page), the plain link still downloads.
    if (!run(link)) window.location.href = link.getAttribute('href');
  });
})();
