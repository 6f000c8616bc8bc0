// console_chat.js: the console's live chat queue (/console/chat, docs/chat.md) over the
// WebSocket /console/chat/ws: the open chats with their status and whether the citizen
// is online; an operator opens several chats at once, each in its panel, takes them,
// answers (the citizen sees «Оператор печатает…»), makes an appeal, closes. After a
// lost connection it connects again and asks each open panel for what came after the
// last message it shows (the connection itself is chat_socket.js).
'use strict';
(function () {
  const queue = document.getElementById('chat-queue');
  const empty = document.getElementById('chat-queue-empty');
  const panels = document.getElementById('chat-panels');
  const status = document.getElementById('chats-status');
  const errorLine = document.getElementById('chats-error');
  const chats = new Map(); // id -> {state, online, panel, last}
  const statusText = { bot: 'с ботом', waiting: 'ждёт оператора', active: 'у оператора', closed: 'завершён' };
  const names = { citizen: 'Гражданин', bot: 'Бот', operator: 'Оператор', system: '' };
  let sock = null;

  const send = (obj) => sock.send(obj);

  function entry(id) {
    if (!chats.has(id)) chats.set(id, { state: null, online: false, panel: null, last: 0, typing: 0 });
    return chats.get(id);
  }

  function renderQueue() {
    queue.textContent = '';
    let n = 0;
    for (const [id, c] of chats) {
      if (!c.state || c.state.status === 'closed') continue;
      n++;
      const li = document.createElement('li');
      li.dataset.chat = id;
      const label = document.createElement('span');
      label.textContent = `Чат № ${id}: ${statusText[c.state.status]}` +
        (c.state.operator ? ` (${c.state.operator})` : '') +
        (c.state.department ? `, отдел ${c.state.department}` : '') + (c.online ? ', гражданин в сети' : ', гражданин не в сети');
      li.appendChild(label);
      const open = document.createElement('button');
      open.type = 'button';
      open.textContent = c.panel ? 'Открыт' : 'Открыть';
      open.disabled = !!c.panel;
      open.setAttribute('aria-label', `Открыть чат № ${id}`);
      open.addEventListener('click', () => openPanel(id));
      li.appendChild(open);
      queue.appendChild(li);
    }
    empty.hidden = n > 0;
  }

  function button(text, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.addEventListener('click', onClick);
    return b;
  }

  function openPanel(id) {
    const c = entry(id);
    if (c.panel) return;
    const p = document.createElement('section');
    p.className = 'chat-panel';
    p.dataset.chat = id;
    p.setAttribute('aria-label', `Чат № ${id}`);
    const h = document.createElement('h3');
    h.textContent = `Чат № ${id}`;
    const st = document.createElement('p');
    st.className = 'chat-status';
    const num = document.createElement('p');
    num.className = 'chat-number';
    num.hidden = true;
    const log = document.createElement('ol');
    log.className = 'chat-log';
    log.setAttribute('aria-live', 'polite');
    const typing = document.createElement('p');
    typing.className = 'chat-typing';
    const label = document.createElement('label');
    label.textContent = 'Ответ';
    label.htmlFor = `chat-text-${id}`;
    const text = document.createElement('textarea');
    text.id = `chat-text-${id}`;
    text.rows = 3;
    text.maxLength = 4000;
    text.addEventListener('input', () => {
      if (text.value && Date.now() - (c.sentTyping || 0) > 2000) {
        c.sentTyping = Date.now();
        send({ t: 'typing', chat: id });
      }
    });
    const actions = document.createElement('div');
    actions.className = 'chat-actions';
    actions.append(
      button('Взять в работу', () => send({ t: 'take', chat: id })),
      button('Отправить', () => {
        const v = text.value.trim();
        if (!v) { errorLine.textContent = 'Напишите текст ответа.'; text.focus(); return; }
        if (send({ t: 'say', chat: id, text: v })) {
          text.value = '';
          c.sentTyping = 0; // the next reply's first key is announced at once
        }
      }),
      button('Создать обращение', () => send({ t: 'appeal', chat: id })),
      button('Завершить чат', () => send({ t: 'close', chat: id })),
      button('Скрыть', () => { p.remove(); c.panel = null; renderQueue(); }));
    p.append(h, st, num, log, typing, label, text, actions);
    c.panel = { root: p, st, num, log, typing };
    c.last = 0;
    panels.appendChild(p);
    if (c.state) panelState(c);
    send({ t: 'history', chat: id, since: 0 });
    renderQueue();
  }

  function panelState(c) {
    if (!c.panel || !c.state) return;
    c.panel.st.textContent = `Статус: ${statusText[c.state.status]}` + (c.state.operator ? `, оператор ${c.state.operator}` : '');
    if (c.state.number) {
      c.panel.num.hidden = false;
      c.panel.num.textContent = `Номер обращения: ${c.state.number}`;
    }
  }

  function showMessage(m) {
    const c = entry(m.chat);
    // by id, each once: another node's message may come after a later one of this node
    if (!c.panel || c.panel.log.querySelector(`[data-id="${m.id}"]`)) return;
    if (m.id > c.last) c.last = m.id;
    const li = document.createElement('li');
    li.className = m.author;
    li.dataset.id = m.id;
    if (names[m.author]) {
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = names[m.author] + (m.operator ? ` ${m.operator}` : '');
      li.appendChild(who);
    }
    li.appendChild(document.createTextNode(m.text));
    const later = [...c.panel.log.children].find((x) => Number(x.dataset.id) > m.id);
    c.panel.log.insertBefore(li, later || null);
    c.panel.log.scrollTop = c.panel.log.scrollHeight;
    if (m.author === 'citizen') c.panel.typing.textContent = '';
  }

  function onMessage(m) {
    if (m.t === 'gone') {
      // handed to a department this operator does not see
      const c = chats.get(m.chat);
      if (c && c.panel) c.panel.root.remove();
      chats.delete(m.chat);
      renderQueue();
    } else if (m.t === 'state') {
      const c = entry(m.chat);
      c.state = m;
      panelState(c);
      renderQueue();
    } else if (m.t === 'msg') {
      showMessage(m);
    } else if (m.t === 'presence') {
      entry(m.chat).online = m.online;
      renderQueue();
    } else if (m.t === 'typing') {
      const c = entry(m.chat);
      if (c.panel) {
        c.panel.typing.textContent = 'Гражданин печатает…';
        clearTimeout(c.typing);
        c.typing = setTimeout(() => { if (c.panel) c.panel.typing.textContent = ''; }, 4000);
      }
    } else if (m.t === 'error') {
      errorLine.textContent = m.text;
    }
  }

  sock = window.oknoChatSocket('/console/chat/ws', {
    status,
    errorLine,
    offline: 'Нет связи с сервером: действие не выполнено, мы переподключаемся.',
    onOpen() {
      status.textContent = 'Подключено.';
      send({ t: 'hello' });
      for (const [id, c] of chats) if (c.panel) send({ t: 'history', chat: id, since: c.last });
    },
    onMessage,
  });
}());
