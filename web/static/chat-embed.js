// chat-embed.js: the web chat on the portal's own pages (docs/chat.md). Include it with
//   <script src="https://okno.example/static/chat-embed.js" defer></script>
// It adds a button «Чат с поддержкой» at the bottom right that opens okno's /chat in a
// small window (okno's pages refuse to be framed: frame-ancestors 'none'), or in a tab
// on a phone. The chat's address is taken from this script's own address.
'use strict';
(function () {
  const me = document.currentScript;
  const base = me ? new URL(me.src).origin : '';
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = 'Чат с поддержкой';
  b.setAttribute('aria-label', 'Открыть онлайн-чат службы поддержки');
  b.style.cssText = 'position:fixed;right:16px;bottom:16px;z-index:2147483000;min-height:44px;' +
    'padding:10px 16px;border:0;border-radius:22px;background:#0b5cad;color:#fff;font:16px sans-serif;cursor:pointer';
  b.addEventListener('click', () => {
    const small = window.innerWidth < 600;
    const w = small ? null : window.open(base + '/chat', 'okno-chat', 'width=420,height=680');
    if (!w) location.href = base + '/chat';
  });
  document.addEventListener('DOMContentLoaded', () => document.body.appendChild(b));
  if (document.readyState !== 'loading') document.body.appendChild(b);
}());
