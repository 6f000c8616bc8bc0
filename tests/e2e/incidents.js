// incidents.js: the browser test of mass incidents (issue 19 item 5, docs/incidents.md)
// in Debian's Chromium through playwright-core (run by tests/e2e/run_e2e.py, which starts
// the real daemon with incidents.config.json: passes every second, 6 appeals make a
// burst). Eight citizens write about the same outage and one about something else; a
// supervisor on a phone (390 px, touch) sees the banner on «Массовые инциденты», opens
// the incident (the eight, not the ninth) and sends one answer to all: the page lists
// eight «Ответ отправлен». No horizontal scroll at 390 px, and any console error or
// failed response fails the test.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { okno, watch, noHorizontalScroll, shot, launch, signIn } = require('./console_helpers');

const base = process.env.OKNO_BASE_URL;
const artifacts = process.env.OKNO_ARTIFACTS;
const PASSWORD = 'Зелёный-чай-42';
const WORDS = [
  'Не приходит СМС с кодом подтверждения при входе на портал.',
  'Добрый день, мне не приходит код из смс, не могу войти на портал.',
  'Уже час не приходят смс-коды для входа на портал. Помогите!',
  'Почему не приходит код подтверждения по СМС? Войти на портал невозможно.',
  'Запрашивал код для входа на портал трижды, смс так и не пришло.',
  'СМС с кодом для входа на портал не приходит, телефон в порядке.',
  'Не могу зайти на портал: код подтверждения в смс не приходит.',
  'Код из СМС не приходит, вход на портал не работает.',
];

function submit(i, from, subject, text) {
  const file = path.join(artifacts, `incident-${i}.eml`);
  fs.writeFileSync(file, `From: ${from}\r\nTo: support@portal.example\r\n` +
    `Subject: =?UTF-8?B?${Buffer.from(subject).toString('base64')}?=\r\n` +
    `Message-ID: <e2e-incident-${i}-${Date.now()}@mail.example>\r\n` +
    'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n' +
    `Content-Transfer-Encoding: base64\r\n\r\n${Buffer.from(text).toString('base64')}\r\n`);
  return okno(['submit', file]).trim();
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  okno(['department', 'add', '--code', 'support', '--name', 'Поддержка']);
  okno(['route', 'add', '--kind', 'sender_domain', '--value', 'mail.example', '--department', 'support']);
  const user = JSON.parse(okno(['user', 'add', '--login', 'ivanova', '--role', 'supervisor',
    '--department', 'support', '--json']));
  okno(['user', 'password', '--login', 'ivanova'], PASSWORD + '\n');
  const burst = WORDS.map((w, i) => submit(i, `Citizen ${i} <c${i}@mail.example>`, 'Не приходит код', w));
  const other = submit(99, 'Other <o@mail.example>', 'Госпошлина',
    'Прошу разъяснить, как оплатить госпошлину за загранпаспорт банковской картой.');
  const browser = await launch();
  const problems = [];
  try {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'ru-RU',
    });
    const page = await context.newPage();
    await watch(page, problems);
    await signIn(page, base, 'ivanova', PASSWORD, user.totp_uri);
    // the scheduler's passes run every second: the incident appears within a deadline
    const deadline = Date.now() + 60000;
    for (;;) {
      await page.goto(base + '/console/incidents');
      const open = page.locator('.incident-open');
      if (await page.locator('#incidents-open').count() && await open.count() === 1 &&
          (await open.textContent()).includes(`Обращений: ${burst.length};`)) break;
      assert.ok(Date.now() < deadline, 'no incident of all the burst within 60 s');
      await page.waitForTimeout(1000);
    }
    await noHorizontalScroll(page, 390);
    await shot(page, 'incidents-list-390.png');
    await page.click('.incident-list a');
    await page.waitForSelector('h1:has-text("Массовый инцидент")');
    const numbers = await page.locator('.incident-appeals li > a').allTextContents();
    assert.deepStrictEqual(numbers.map((t) => t.replace('№ ', '')).sort(), burst.slice().sort());
    assert.ok(!numbers.includes('№ ' + other));
    await noHorizontalScroll(page, 390);
    await page.getByLabel('Текст ответа').fill('Уважаемый(ая) {{name}}! Сбой устранён, коды снова приходят.');
    await page.click('#incident-answer button[type=submit]');
    await page.waitForSelector('#answer-results');
    assert.strictEqual(await page.locator('#answer-results .ok').count(), burst.length);
    await noHorizontalScroll(page, 390);
    await shot(page, 'incident-answered-390.png');
    assert.deepStrictEqual(problems, []);
  } finally {
    await browser.close();
  }
  console.log('incidents: a burst of 8 raised one incident, answered at once at 390 px');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
