/* kb_offer.js: while the citizen describes the problem on the feedback form, offers
   the published knowledge-base articles that match (GET /api/v1/help?offer=1&q=...,
   docs/kb.md) in the polite live region #kb-offers. Progressive enhancement: without
   JavaScript the form's button «Проверить, есть ли готовый ответ» does the same
   on the server. Loaded with a <script src>, never inline (the CSP forbids it). */
(function () {
  'use strict';
  var text = document.getElementById('description');
  var box = document.getElementById('kb-offers');
  var list = document.getElementById('kb-offers-list');
  if (!text || !box || !list || !window.fetch) return;
  var timer = null, asked = '', none = document.getElementById('kb-none');

  function show(articles) {
    while (list.firstChild) list.removeChild(list.firstChild);
    if (none) none.hidden = true;
    articles.forEach(function (a) {
      var li = document.createElement('li');
      var link = document.createElement('a');
      link.href = a.href;
      link.target = '_blank';
      link.rel = 'noopener';
      link.textContent = a.title;
      var ex = document.createElement('span');
      ex.className = 'hint';
      ex.textContent = a.excerpt;
      li.appendChild(link);
      li.appendChild(document.createElement('br'));
      li.appendChild(ex);
      list.appendChild(li);
    });
    box.hidden = articles.length === 0;
  }

  function ask() {
    var q = text.value.trim();
    if (q.length < 15 || q === asked) return;
    asked = q;
    fetch('/api/v1/help?offer=1&q=' + encodeURIComponent(q.slice(0, 2000)),
          {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.ok ? r.json() : {articles: []}; })
      .then(function (j) { if (asked === q) show(j.articles || []); })
      .catch(function () { /* an offer is never worth an error */ });
  }

  text.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 400);
  });
  if (text.value) ask();
}());
