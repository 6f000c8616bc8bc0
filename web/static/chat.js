// chat.js: the citizen's side of the web chat (/chat, docs/chat.md) over the WebSocket
// /chat/ws. The chat's token is kept in localStorage (a reload or a new tab resumes the
// chat with its whole history); after a lost connection (a node restarted) the page
// connects again and asks for what came after the last message it shows. A message is
// shown only when the server sends it back, that is once stored. The connection itself
// is chat_socket.js.
'use strict';
(function () {
  const log = document.getElementById('chat-log');
  const form = document.getElementById('chat-form');
  const input = document.getElementById('chat-text');
  const status = document.getElementById('chat-status');
  const typingLine = document.getElementById('chat-typing');
  const errorLine = document.getElementById('chat-error');
  const numberLine = document.getElementById('chat-number');
  const newButton = document.getElementById('chat-new');
  const operatorButton = document.getElementById('chat-operator');
  const names = { citizen: 'Вы', bot: 'Бот', operator: 'Оператор', system: '' };
  const statusText = {
    bot: 'Вам отвечает бот.',
    waiting: 'Ждём оператора: он ответит в этом чате.',
    active: 'Вам отвечает оператор.',
    closed: 'Чат завершён.',
  };
  let sock = null;
  let last = 0;
  let typingTimer = 0;
  let sentTyping = 0;

  const send = (obj) => sock.send(obj);

  function show(m) {
    // by id, each once: another node's message may come after a later one of this node
    if (log.querySelector(`[data-id="${m.id}"]`)) return;
    const li = document.createElement('li');
    li.className = m.author;
    li.dataset.id = m.id;
    if (names[m.author]) {
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = names[m.author];
      li.appendChild(who);
    }
    li.appendChild(document.createTextNode(m.text));
    const later = [...log.children].find((x) => Number(x.dataset.id) > m.id);
    log.insertBefore(li, later || null);
    log.scrollTop = log.scrollHeight;
    if (m.id > last) last = m.id;
  }

  function state(s) {
    if (s.status === 'active' && !status.textContent.startsWith(statusText.active)) sentTyping = 0;
    status.textContent = statusText[s.status] || '';
    operatorButton.hidden = s.status !== 'bot';
    newButton.hidden = s.status !== 'closed';
    if (s.number) {
      numberLine.hidden = false;
      numberLine.textContent = `Номер обращения: ${s.number}`;
    }
  }

  function onMessage(m) {
    if (m.t === 'welcome') {
      if (m.token !== localStorage.getItem('okno-chat-token')) {
        localStorage.setItem('okno-chat-token', m.token);
        last = 0;
        log.textContent = '';
      }
    } else if (m.t === 'msg') {
      show(m);
      if (m.author === 'operator') typingLine.textContent = '';
    } else if (m.t === 'state') {
      state(m);
    } else if (m.t === 'typing') {
      typingLine.textContent = 'Оператор печатает…';
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { typingLine.textContent = ''; }, 4000);
    } else if (m.t === 'error') {
      errorLine.textContent = m.text;
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) {
      errorLine.textContent = 'Напишите, пожалуйста, текст сообщения.';
      input.focus();
      return;
    }
    if (send({ t: 'say', text })) {
      input.value = '';
      errorLine.textContent = '';
      sentTyping = 0; // the next message's first key is announced at once
    }
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  // At most one typing notice per 2 s while the citizen types; a sent message ends the
  // run, so typing soon after a send (or after the operator joins) is not swallowed.
  input.addEventListener('input', () => {
    if (input.value && Date.now() - sentTyping > 2000) {
      sentTyping = Date.now();
      sock.quiet({ t: 'typing' });
    }
  });
  operatorButton.addEventListener('click', () => send({ t: 'operator' }));
  newButton.addEventListener('click', () => {
    localStorage.removeItem('okno-chat-token');
    last = 0;
    log.textContent = '';
    numberLine.hidden = true;
    sock.restart();
  });
  sock = window.oknoChatSocket('/chat/ws', {
    status,
    errorLine,
    offline: 'Нет связи с сервером: сообщение не отправлено. Подождите, мы переподключаемся.',
    onOpen() {
      const token = localStorage.getItem('okno-chat-token');
      send(token ? { t: 'hello', token, since: last } : { t: 'hello' });
    },
    onMessage,
  });
}());
