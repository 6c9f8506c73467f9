// The lead board's drag and drop (views/crm/_leads-board.ejs): a card dropped on another stage's
// column sets its own stage select and submits its form, the same POST /leads/:lead/stage that the
// select sends (htmx swaps the board). The select stays the keyboard's way to move a card. Wired by
// delegation on the document, so it survives htmx swaps; no inline code (the CSP forbids it).
(function () {
  'use strict';

  var dragged = null;

  function columnOf(target) {
    return target instanceof Element ? target.closest('[data-leads-board] .lead-column') : null;
  }

  document.addEventListener('dragstart', function (event) {
    var card = event.target instanceof Element ? event.target.closest('.lead-card[data-lead]') : null;
    if (!card) return;
    dragged = card;
    card.classList.add('dragging');
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', card.getAttribute('data-lead'));
  });

  document.addEventListener('dragend', function () {
    if (dragged) dragged.classList.remove('dragging');
    dragged = null;
    document.querySelectorAll('.lead-column.drop-target').forEach(function (el) {
      el.classList.remove('drop-target');
    });
  });

  document.addEventListener('dragover', function (event) {
    var column = columnOf(event.target);
    if (!column || !dragged) return;
    // Allowing the drop: the default is to refuse it.
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    column.classList.add('drop-target');
  });

  document.addEventListener('dragleave', function (event) {
    var column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove('drop-target');
  });

  document.addEventListener('drop', function (event) {
    var column = columnOf(event.target);
    if (!column || !dragged) return;
    event.preventDefault();
    column.classList.remove('drop-target');
    var form = dragged.querySelector('form.lead-move');
    var select = form && form.querySelector('select[name="stage_id"]');
    var stage = column.getAttribute('data-stage');
    if (!select || !stage || select.value === stage) return;
    select.value = stage;
    if (typeof form.requestSubmit === 'function') form.requestSubmit();
    else form.submit();
  });
})();
