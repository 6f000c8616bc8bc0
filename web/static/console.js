// console.js: progressive enhancement of the operator console (docs/console.md).
// Every page works without it. With it:
//  - the queue: j/k or arrows move through the rows, Enter opens, x checks the row for a
//    bulk action, a takes the current row (its checkbox and «Взять в работу»);
//    the tab counts and the total refresh every 30 s from /api/v1/console/queue;
//  - the appeal page: r goes to the reply box, a takes the appeal, Esc goes back to the
//    queue; the reply's draft is kept in localStorage until it is sent;
//  - everywhere: «?» opens the list of keys, Esc closes it.
// Keys are ignored while typing in a field (Esc then leaves the field). No inline code:
// the Content-Security-Policy forbids it.
'use strict';
(function () {
  const help = document.getElementById('keys-help');
  const table = document.getElementById('queue-table');
  const rows = table ? Array.from(table.querySelectorAll('tbody tr')) : [];
  let current = -1;
  let lastFocus = null;

  function typing(e) {
    const t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  function openHelp() {
    if (!help) return;
    lastFocus = document.activeElement;
    help.hidden = false;
    document.getElementById('keys-close').focus();
  }
  function closeHelp() {
    if (!help || help.hidden) return false;
    help.hidden = true;
    if (lastFocus) lastFocus.focus();
    return true;
  }
  if (help) {
    document.getElementById('keys-close').addEventListener('click', closeHelp);
    help.addEventListener('click', (e) => { if (e.target === help) closeHelp(); });
  }

  function select(i) {
    if (!rows.length) return;
    i = Math.max(0, Math.min(rows.length - 1, i));
    if (current >= 0) rows[current].classList.remove('current');
    current = i;
    const row = rows[current];
    row.classList.add('current');
    const link = row.querySelector('td.num a');
    if (link) link.focus(); // the screen reader reads the link; Enter follows it
    row.scrollIntoView({ block: 'nearest' });
    try { sessionStorage.setItem('okno-queue-row', row.dataset.number); } catch (e) { /* private mode */ }
  }

  if (rows.length) {
    // back from an appeal (Esc): the row last opened is current again
    let saved = null;
    try { saved = sessionStorage.getItem('okno-queue-row'); } catch (e) { /* private mode */ }
    const at = rows.findIndex((r) => r.dataset.number === saved);
    if (at >= 0) select(at);
    rows.forEach((r, i) => r.addEventListener('focusin', () => {
      if (current >= 0 && current !== i) rows[current].classList.remove('current');
      current = i;
      r.classList.add('current');
    }));
  }

  function take() {
    const button = document.getElementById('take-button');
    if (button) { button.click(); return; }
    if (current < 0) return;
    const box = rows[current].querySelector('td.sel input');
    const bulk = document.getElementById('bulk');
    if (!box || !bulk) return;
    rows.forEach((r) => { const b = r.querySelector('td.sel input'); if (b) b.checked = false; });
    box.checked = true;
    bulk.querySelector('button[name=action][value=take]').click();
  }

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'Escape') {
      if (closeHelp()) { e.preventDefault(); return; }
      if (typing(e)) { e.target.blur(); return; }
      const back = document.getElementById('back-to-queue');
      if (back) { e.preventDefault(); back.click(); }
      return;
    }
    if (typing(e)) return;
    if (help && !help.hidden) return;
    switch (e.key) {
      case '?':
        e.preventDefault(); openHelp(); break;
      case 'j': case 'ArrowDown':
        if (rows.length) { e.preventDefault(); select(current + 1); }
        break;
      case 'k': case 'ArrowUp':
        if (rows.length) { e.preventDefault(); select(current - 1); }
        break;
      case 'Enter':
        if (current >= 0 && document.activeElement === document.body) {
          e.preventDefault(); rows[current].querySelector('td.num a').click();
        }
        break;
      case 'x':
        if (current >= 0) {
          const box = rows[current].querySelector('td.sel input');
          if (box) { e.preventDefault(); box.checked = !box.checked; }
        }
        break;
      case 'r': {
        const text = document.getElementById('reply-text');
        if (text) { e.preventDefault(); text.focus(); text.scrollIntoView({ block: 'center' }); }
        break;
      }
      case 'a':
        e.preventDefault(); take(); break;
      default:
    }
  });

  // The reply's draft survives a reload: kept per appeal until the form is submitted.
  const reply = document.getElementById('reply');
  if (reply && window.localStorage) {
    const key = reply.dataset.draft;
    const text = document.getElementById('reply-text');
    const tpl = document.getElementById('reply-template');
    try {
      const saved = JSON.parse(localStorage.getItem(key) || 'null');
      if (saved && !text.value) {
        text.value = saved.text || '';
        if (tpl && saved.template) tpl.value = saved.template;
      }
    } catch (e) { /* a broken draft is dropped */ }
    const keep = () => {
      try {
        if (text.value || (tpl && tpl.value)) localStorage.setItem(key, JSON.stringify({ text: text.value, template: tpl ? tpl.value : '' }));
        else localStorage.removeItem(key);
      } catch (e) { /* storage full or off */ }
    };
    text.addEventListener('input', keep);
    if (tpl) tpl.addEventListener('change', keep);
    reply.addEventListener('submit', (e) => {
      // a preview comes back to this form; anything else ends the draft
      const step = e.submitter && e.submitter.value;
      if (step !== 'preview') try { localStorage.removeItem(key); } catch (x) { /* off */ }
    });
  }

  // The counts refresh without a reload.
  const tabs = document.getElementById('queue-tabs');
  if (tabs && window.fetch) {
    const refresh = () => {
      const url = new URL('/api/v1/console/queue', location.origin);
      const here = new URLSearchParams(location.search);
      for (const k of ['view', 'status', 'q']) if (here.get(k)) url.searchParams.set(k, here.get(k));
      url.searchParams.set('limit', '1');
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then((r) => (r.ok ? r.json() : null))
        .then((d) => {
          if (!d) return;
          for (const q of d.queues || []) {
            const c = tabs.querySelector(`a[data-queue="${q.id}"] .count`);
            if (c && c.textContent !== String(q.count)) c.textContent = q.count;
          }
          const total = document.getElementById('queue-total');
          if (total && typeof d.total === 'number') total.textContent = d.total;
        })
        .catch(() => {});
    };
    setInterval(refresh, 30000);
    document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  }
}());
