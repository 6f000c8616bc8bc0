// chat_socket.js: the WebSocket both sides of the web chat use (chat.js for the citizen,
// console_chat.js for operators, docs/chat.md). It connects to `path` on this host,
// hands each JSON frame to opts.onMessage, and after a lost connection (a node
// restarted) says so in opts.status and connects again, waiting 0.5 s and doubling up
// to 5 s; opts.onOpen runs at every connection, so a page can ask for what it missed.
// send() refuses while there is no connection, with the page's own words (opts.offline)
// in opts.errorLine; quiet() sends only when connected and says nothing (typing).
'use strict';
window.oknoChatSocket = function (path, opts) {
  let ws = null;
  let delay = 500;

  function connect() {
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path);
    ws.onopen = () => {
      delay = 500;
      opts.errorLine.textContent = '';
      opts.onOpen();
    };
    ws.onmessage = (e) => opts.onMessage(JSON.parse(e.data));
    ws.onclose = () => {
      opts.status.textContent = 'Связь прервалась, подключаемся снова…';
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 5000);
    };
  }

  const open = () => ws && ws.readyState === WebSocket.OPEN;
  connect();
  return {
    send(obj) {
      if (!open()) {
        opts.errorLine.textContent = opts.offline;
        return false;
      }
      ws.send(JSON.stringify(obj));
      return true;
    },
    quiet(obj) {
      if (open()) ws.send(JSON.stringify(obj));
    },
    // Drops the connection; it is made again at once (a new chat starts on it).
    restart() {
      if (ws) ws.close();
    },
  };
};
