// chat.js: the browser test of the web chat (issue 22, docs/chat.md) in Debian's Chromium
// through playwright-core (run by run_e2e.py, which starts the real daemon with the bot's
// answers from chat_answers.txt). A citizen on a 390-px phone opens /chat: the bot says it
// is a bot and answers a question from a published article of the knowledge base, then one
// from the configured answers; the citizen asks for an
// operator; an operator signed in to the console (1280 px) sees the chat in the live queue,
// opens and takes it, sees the citizen typing and answers; the node is killed and started
// again mid-chat (SIGUSR1 to run_e2e.py) and both windows reconnect without losing a
// message, and a message written after the restart arrives; the operator makes an appeal
// and its number shows in both windows (and `okno show` has it with channel chat).
// Screenshots of both windows; no horizontal scrolling at 390 px; any console error
// (a CSP violation) or failed response fails the test.
'use strict';
const assert = require('assert');
const fs = require('fs');
const { okno, watch, noHorizontalScroll, shot, launch, desktopPage, signIn } = require('./console_helpers');

const base = process.env.OKNO_BASE_URL;
const artifacts = process.env.OKNO_ARTIFACTS;
const PASSWORD = 'Зелёный-чай-42';
const opened = [];

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const user = JSON.parse(okno(['user', 'add', '--login', 'chatop', '--role', 'operator', '--json']));
  okno(['user', 'password', '--login', 'chatop'], PASSWORD + '\n');
  // a published article: the bot answers from the knowledge base first
  const article = JSON.parse(okno(['kb', 'add', '--title', 'Как сменить пароль учётной записи',
    '--body', '-', '--tags', 'пароль'],
  'Откройте «Настройки», затем «Безопасность» и нажмите «Сменить пароль».\n').split('\n')[0]);
  okno(['kb', 'publish', '--id', String(article.id)]);
  const browser = await launch();
  const problems = [];
  try {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true,
      hasTouch: true, locale: 'ru-RU',
    });
    const citizen = await phone.newPage();
    // a refused WebSocket during the restart is expected: it reconnects
    await watch(citizen, problems);
    opened.push(citizen);
    await citizen.goto(base + '/chat');
    await citizen.waitForSelector('#chat-log li.bot:has-text("не человек")');
    await noHorizontalScroll(citizen, 390);

    await citizen.getByLabel('Ваше сообщение').fill('Подскажите, как сменить пароль?');
    await citizen.keyboard.press('Enter');
    await citizen.waitForSelector('#chat-log li.bot:has-text("«Как сменить пароль учётной записи»")');
    await citizen.waitForSelector(`#chat-log li.bot:has-text("/help/${article.id}")`);

    await citizen.getByLabel('Ваше сообщение').fill('Как оформить загранпаспорт?');
    await citizen.keyboard.press('Enter');
    await citizen.waitForSelector('#chat-log li.citizen:has-text("Как оформить загранпаспорт?")');
    await citizen.waitForSelector('#chat-log li.bot:has-text("МФЦ")');
    await citizen.click('button:has-text("Позвать оператора")');
    await citizen.waitForSelector('#chat-status:has-text("Ждём оператора")');
    await shot(citizen, 'chat-citizen-390.png');

    const op = await desktopPage(browser, problems);
    opened.push(op);
    await signIn(op, base, 'chatop', PASSWORD, user.totp_uri);
    await op.click('a[href="/console/chat"]');
    await op.waitForSelector('#chat-queue li:has-text("ждёт оператора")');
    const chatId = await op.$eval('#chat-queue li:has-text("ждёт оператора")', (li) => li.dataset.chat);
    await op.click(`button[aria-label="Открыть чат № ${chatId}"]`);
    const panel = op.locator(`section.chat-panel[data-chat="${chatId}"]`);
    await panel.locator('li.bot:has-text("МФЦ")').waitFor();
    await panel.locator('button:has-text("Взять в работу")').click();
    await citizen.waitForSelector('#chat-status:has-text("Вам отвечает оператор")');
    await citizen.getByLabel('Ваше сообщение').type('Спасибо');
    await panel.locator('.chat-typing:has-text("Гражданин печатает")').waitFor();
    await citizen.getByLabel('Ваше сообщение').fill('');
    await panel.getByLabel('Ответ').fill('Здравствуйте! Подскажу, какие документы нужны.');
    await citizen.waitForSelector('#chat-typing:has-text("Оператор печатает")');
    await panel.locator('button:has-text("Отправить")').click();
    await citizen.waitForSelector('#chat-log li.operator:has-text("какие документы нужны")');

    // the node dies and comes back mid-chat: nothing shown is lost, both reconnect
    const before = await citizen.$$eval('#chat-log li', (l) => l.map((x) => x.dataset.id));
    process.kill(process.ppid, 'SIGUSR1');
    await citizen.waitForSelector('#chat-status:has-text("Связь прервалась")');
    await citizen.waitForSelector('#chat-status:has-text("Вам отвечает оператор")', { timeout: 60000 });
    await op.waitForSelector('#chats-status:has-text("Подключено")', { timeout: 60000 });
    await citizen.reload();
    await citizen.waitForSelector('#chat-log li.operator:has-text("какие документы нужны")');
    const after = await citizen.$$eval('#chat-log li', (l) => l.map((x) => x.dataset.id));
    for (const id of before) assert.ok(after.includes(id), `message ${id} lost: ${after}`);
    await citizen.getByLabel('Ваше сообщение').fill('Паспорт нужен к отпуску в марте.');
    await citizen.click('button:has-text("Отправить")');
    await panel.locator('li.citizen:has-text("к отпуску в марте")').waitFor();

    await panel.locator('button:has-text("Создать обращение")').click();
    await panel.locator('.chat-number:has-text("Номер обращения")').waitFor({ timeout: 30000 });
    const num = (await panel.locator('.chat-number').textContent()).replace('Номер обращения: ', '').trim();
    assert.match(num, /^\d{2}-\d{6}-\d$/);
    await citizen.waitForSelector(`#chat-number:has-text("${num}")`);
    await citizen.waitForSelector(`#chat-log li.system:has-text("${num}")`);
    await noHorizontalScroll(citizen, 390);
    await shot(citizen, 'chat-appeal-390.png');
    await shot(op, 'console-chat-1280.png');
    const a = JSON.parse(okno(['show', '--json', num]));
    assert.strictEqual(a.channel, 'chat');
    assert.ok(a.messages[0].text.includes('Как оформить загранпаспорт?'));
    assert.ok(a.messages[0].text.includes('к отпуску в марте'));

    const real = problems.filter((p) => !/WebSocket/.test(p));
    assert.deepStrictEqual(real, [], real.join('\n'));
    console.log(`chat: bot, handover, operator answer, restart, appeal ${num} in both windows`);
  } catch (e) {
    // what each window showed when it failed
    for (const [i, p] of opened.entries()) await shot(p, `chat-failed-${i}.png`).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
