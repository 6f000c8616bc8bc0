/* kb_suggest.js: answer suggestions on the console's appeal page (docs/kb.md). Loads
   GET /api/v1/console/suggest/NUMBER (matching knowledge-base articles and similar
   answered appeals) into #suggest-box, each with «Вставить в ответ», a button that
   puts the text into the reply box (#reply-text; after what is already there).
   Without JavaScript the link #suggest-link opens the same list as a page. */
(function () {
  'use strict';
  var box = document.getElementById('suggest-box');
  var reply = document.getElementById('reply-text');
  if (!box || !reply || !window.fetch) return;
  var number = box.getAttribute('data-number');

  function insert(text) {
    reply.value = reply.value.trim() ? reply.value.replace(/\s+$/, '') + '\n\n' + text : text;
    reply.dispatchEvent(new Event('input', {bubbles: true}));
    reply.focus();
  }

  function render(items) {
    if (!items.length) return;
    var h = document.createElement('h3');
    h.textContent = 'Подсказки для ответа';
    box.appendChild(h);
    var ol = document.createElement('ol');
    items.forEach(function (it) {
      var li = document.createElement('li');
      li.className = 'suggestion ' + it.kind;
      var a = document.createElement('a');
      a.href = it.href;
      a.textContent = it.title;
      a.target = '_blank';
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary suggest-insert';
      b.textContent = 'Вставить в ответ';
      b.setAttribute('aria-label', 'Вставить в ответ: ' + it.title);
      b.addEventListener('click', function () { insert(it.text); });
      li.appendChild(a);
      li.appendChild(document.createTextNode(' '));
      li.appendChild(b);
      ol.appendChild(li);
    });
    box.appendChild(ol);
    box.hidden = false;
  }

  fetch('/api/v1/console/suggest/' + encodeURIComponent(number),
        {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
    .then(function (r) { return r.ok ? r.json() : {items: []}; })
    .then(function (j) { render(j.items || []); })
    .catch(function () { /* suggestions are a help, never an error */ });
}());
