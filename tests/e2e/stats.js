// stats.js: the browser test of the dashboard «Статистика» (/console/stats,
// docs/metrics.md) in Debian's Chromium through playwright-core (run by
// tests/e2e/run_e2e.py, which starts the real daemon). Sets up a department, a
// supervisor and three letters with the CLI (one answered); then in the browser: signs
// in with a TOTP code, follows the navigation to «Статистика», checks that every chart
// is an SVG with role="img" and a title whose section holds the table with its numbers,
// that the received figure is the CLI's count, switches the series to weeks with the
// filter form, and takes screenshots at 1280 and 390 px (no horizontal scroll at either).
// Any console error (a CSP violation above all) or failed response fails the test.
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { okno, totp, watch, noHorizontalScroll, shot, launch, desktopPage } = require('./console_helpers');

const base = process.env.OKNO_BASE_URL;
const artifacts = process.env.OKNO_ARTIFACTS;
const PASSWORD = 'Зелёный-чай-42';

let user;
function setUp() {
  okno(['department', 'add', '--code', 'tax', '--name', 'Налоговый отдел']);
  okno(['route', 'add', '--kind', 'keyword', '--value', 'налог', '--department', 'tax']);
  user = JSON.parse(okno(['user', 'add', '--login', 'petrova', '--role', 'supervisor',
    '--department', 'tax', '--json']));
  okno(['user', 'password', '--login', 'petrova'], PASSWORD + '\n');
  const numbers = [];
  for (let i = 0; i < 3; i++) {
    const eml = path.join(os.tmpdir(), `okno-e2e-stats-${process.pid}-${i}.eml`);
    fs.writeFileSync(eml, `From: Citizen ${i} <citizen${i}.e2e@mail.example>\r\n` +
      'To: support@portal.example\r\nSubject: =?utf-8?B?' +
      Buffer.from(`Вопрос про налог ${i}`).toString('base64') + '?=\r\n' +
      `Message-ID: <e2e-stats-${i}@mail.example>\r\nMIME-Version: 1.0\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n\r\nКак заплатить налог на имущество?\r\n');
    numbers.push(okno(['submit', eml]).trim());
    fs.unlinkSync(eml);
  }
  okno(['appeal', 'status', '--answer', 'Ответ на ваш вопрос.', numbers[0], 'answered']);
  return numbers;
}

async function signIn(page) {
  await page.goto(base + '/console/login');
  await page.getByLabel('Логин').fill('petrova');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.getByLabel('Код из приложения').fill(totp(user.totp_uri));
  await page.keyboard.press('Enter');
}

// Every chart: role="img", a non-empty <title>, and a table in its section.
async function chartsHaveTables(page) {
  const charts = await page.locator('section.stats-block').evaluateAll((sections) =>
    sections.filter((s) => s.querySelector('svg')).map((s) => ({
      role: s.querySelector('svg').getAttribute('role'),
      title: (s.querySelector('svg title') || {}).textContent || '',
      rows: s.querySelectorAll('table tbody tr').length,
    })));
  assert.ok(charts.length >= 4, `only ${charts.length} charts`);
  for (const c of charts) {
    assert.strictEqual(c.role, 'img');
    assert.ok(c.title.trim(), 'a chart without a title');
    assert.ok(c.rows > 0, `chart «${c.title}» has no table behind it`);
  }
  return charts.length;
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const numbers = setUp();
  const browser = await launch();
  const problems = [];
  try {
    const page = await desktopPage(browser, problems);
    const desktop = page.context();
    await signIn(page);
    await page.waitForSelector('h1:has-text("Очереди обращений")');
    await page.click('nav.console a[href="/console/stats"]');
    await page.waitForSelector('h1:has-text("Статистика")');
    const received = await page.locator('#table-summary tbody tr:first-child td').textContent();
    assert.strictEqual(Number(received), numbers.length);
    const n = await chartsHaveTables(page);
    await noHorizontalScroll(page, 1280);
    await shot(page, 'console-stats-1280.png');

    await page.selectOption('#f-group', 'week');
    await page.click('form.stats-filters button[type="submit"]');
    await page.waitForSelector('#h-series:has-text("По неделям")');
    await chartsHaveTables(page);

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true,
      hasTouch: true, locale: 'ru-RU', storageState: await desktop.storageState() });
    const ppage = await phone.newPage();
    await watch(ppage, problems);
    await ppage.goto(base + '/console/stats');
    await chartsHaveTables(ppage);
    await noHorizontalScroll(ppage, 390);
    await shot(ppage, 'console-stats-390.png');
    await phone.close();
    await desktop.close();
    assert.deepStrictEqual(problems, [], 'console errors');
    console.log(`ok: ${n} charts, each with its table; screenshots in ${artifacts}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
