// telegram_link.js: the browser test of linking a Telegram chat to the citizen cabinet
// (issue 22, docs/channels.md "Telegram in the cabinet"), in Debian's Chromium through
// playwright-core, started by run_e2e.py with telegram_link.config.json: the bot's API
// is a fake Bot API this script runs on OKNO_FREE_PORT (sendMessage recorded).
// A Telegram message registers an appeal (its number comes back to the fake API); the
// chat sends /link and gets a code; on a 390-px phone viewport the citizen signs in to
// the cabinet, where the appeal is not listed, types a wrong code (the error is next to
// the field), then the right one (the success notice), and the appeal is in «Мои
// обращения». Screenshots; no horizontal scrolling; any console error fails the test.
'use strict';
const { chromium } = require('playwright-core');
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { codeFromMaildir } = require('./cabinet_helpers');

const base = process.env.OKNO_BASE_URL;
const artifacts = process.env.OKNO_ARTIFACTS;
const TOKEN = '123456:E2E-token';
const SECRET = 'e2e-webhook-secret-0123456789';
const CHAT = 7700445566;
const CITIZEN = 'petr.tg.e2e@example.ru';
const sent = []; // the texts okno sent to the fake Bot API

function fakeBotApi() {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      let ok = req.url === `/bot${TOKEN}/sendMessage`;
      let msg = {};
      try { msg = JSON.parse(body); } catch (e) { ok = false; }
      if (ok) sent.push(msg);
      res.writeHead(ok ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(ok ? { ok: true, result: { message_id: sent.length, chat: { id: msg.chat_id } } }
        : { ok: false, error_code: 404, description: 'Not Found' }));
    });
  });
  return new Promise((resolve) => server.listen(Number(process.env.OKNO_FREE_PORT), '127.0.0.1',
    () => resolve(server)));
}

let updateId = 900000;
async function update(text) {
  updateId++;
  const r = await fetch(base + '/telegram/webhook', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': SECRET },
    body: JSON.stringify({ update_id: updateId, message: { message_id: updateId - 899000,
      date: Math.floor(Date.now() / 1000), chat: { id: CHAT, type: 'private', first_name: 'Пётр' },
      from: { id: CHAT, is_bot: false, first_name: 'Пётр' }, text } }),
  });
  assert.strictEqual(r.status, 200);
}

async function waitSent(pred) {
  for (let i = 0; i < 300; i++) {
    const m = sent.find(pred);
    if (m) return m;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the fake Bot API got no such message: ' + JSON.stringify(sent));
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const api = await fakeBotApi();
  const browser = await chromium.launch({
    executablePath: process.env.OKNO_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const problems = [];
  try {
    await update('Здравствуйте! Не приходит СМС с кодом при входе на портал, уже третий день.');
    const receipt = await waitSent((m) => m.chat_id === CHAT && /\d\d-\d{6}-\d/.test(m.text));
    const number = receipt.text.match(/\d\d-\d{6}-\d/)[0];
    await update('/link');
    const linkMsg = await waitSent((m) => m.chat_id === CHAT && m.text.includes('Код для привязки'));
    const code = linkMsg.text.match(/[A-Z2-9]{5}-[A-Z2-9]{5}/)[0];

    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true,
      hasTouch: true, locale: 'ru-RU',
    });
    const page = await phone.newPage();
    // the refused code's page is a 422 by design (the browser logs it as an error)
    page.on('console', (m) => {
      if (m.type() === 'error' && !/\/favicon\.ico$/.test(m.location().url || '') &&
          !/status of 422/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(base + '/cabinet/login');
    await page.getByLabel('Адрес электронной почты').fill(CITIZEN);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#code');
    await page.getByLabel('Код из письма (6 цифр)').fill(await codeFromMaildir(CITIZEN));
    await page.keyboard.press('Enter');
    await page.waitForURL(base + '/cabinet');
    assert.ok(!(await page.isVisible(`text=Обращение № ${number}`)));

    await page.click('a:has-text("Мои чаты")');
    await page.waitForURL(base + '/cabinet/chats');
    assert.ok(!(await page.isVisible('text=Привязано чатов в Telegram')));
    await page.getByLabel('Код от бота').fill('AAAAA-AAAAA' === code ? 'BBBBB-BBBBB' : 'AAAAA-AAAAA');
    await page.click('button:has-text("Привязать чат")');
    await page.waitForSelector('#code-error');
    assert.ok((await page.textContent('#code-error')).includes('Код не подошёл'));
    assert.strictEqual(await page.getAttribute('#code', 'aria-invalid'), 'true');
    await page.screenshot({ path: path.join(artifacts, 'telegram-link-error-390.png'), fullPage: true });

    await page.getByLabel('Код от бота').fill(code.toLowerCase());
    await page.keyboard.press('Enter');
    await page.waitForSelector('text=Чат в Telegram привязан к кабинету');
    assert.ok(await page.isVisible('text=Привязано чатов в Telegram: 1.'));
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `page is ${w}px wide at a 390px viewport`);
    await page.screenshot({ path: path.join(artifacts, 'telegram-link-390.png'), fullPage: true });

    await page.click('a:has-text("Мои обращения")');
    await page.waitForURL(base + '/cabinet');
    assert.ok(await page.isVisible(`text=Обращение № ${number}`));
    assert.deepStrictEqual(problems, []);
    console.log('telegram link e2e: ok', number);
  } finally {
    await browser.close();
    api.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
