// spam.js: the browser test of the console's page «Спам» (/console/spam, docs/spam.md),
// in Debian's Chromium through playwright-core (run by tests/e2e/run_e2e.py, which starts
// the real daemon). Sets up a department and a supervisor with the CLI and submits a
// letter; then in the browser: signs in with a TOTP code, marks the appeal «Спам» on its
// page, follows the navigation to «Спам», finds the appeal there, presses its «Не спам»,
// and checks with the CLI that it left the hold with a deadline counted from then, and
// that the page no longer lists it. Screenshots at 1280 and 390 px; any console error
// (a CSP violation above all) or failed response fails the test.
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { okno, totp, watch, noHorizontalScroll, shot, launch, desktopPage } = require('./console_helpers');

const base = process.env.OKNO_BASE_URL;
const artifacts = process.env.OKNO_ARTIFACTS;
const PASSWORD = 'Зелёный-чай-42';

// A supervisor of a department, and a letter submitted through the CLI; its number.
let user;
function setUp() {
  okno(['department', 'add', '--code', 'tax', '--name', 'Налоговый отдел']);
  user = JSON.parse(okno(['user', 'add', '--login', 'sidorov', '--role', 'supervisor',
    '--department', 'tax', '--json']));
  okno(['user', 'password', '--login', 'sidorov'], PASSWORD + '\n');
  const eml = path.join(os.tmpdir(), `okno-e2e-spam-${process.pid}.eml`);
  fs.writeFileSync(eml, 'From: Promo <promo.e2e@shop.example>\r\nTo: support@portal.example\r\n' +
    'Subject: =?utf-8?B?' + Buffer.from('Скидки недели').toString('base64') + '?=\r\n' +
    'Message-ID: <e2e-spam-1@shop.example>\r\nMIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n\r\nТолько сегодня скидки на всё!\r\n');
  const number = okno(['submit', eml]).trim();
  fs.unlinkSync(eml);
  return number;
}

// Signs in with the keyboard: login, Tab, password, the TOTP code, Enter.
async function signIn(page) {
  await page.goto(base + '/console/login');
  await page.getByLabel('Логин').fill('sidorov');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.getByLabel('Код из приложения').fill(totp(user.totp_uri));
  await page.keyboard.press('Enter');
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const number = setUp();
  const browser = await launch();
  const problems = [];
  try {
    const page = await desktopPage(browser, problems);
    const desktop = page.context();
    await signIn(page);
    await page.waitForSelector('h1:has-text("Очереди обращений")');

    // the operator marks the appeal as spam from its page
    // (a rare action: folded under «Другие действия» on the appeal page)
    await page.goto(`${base}/console/appeals/${number}`);
    await page.click('summary:has-text("Другие действия")');
    await page.click('button:has-text("Спам")');
    await page.waitForSelector('button:has-text("Не спам")', { state: 'attached' });
    assert.strictEqual(JSON.parse(okno(['show', '--json', number])).queue, 'spam');

    // the page «Спам», reached from the console's navigation, lists it
    await page.click('nav.console a[href="/console/spam"]');
    await page.waitForSelector('h1:has-text("Спам")');
    const row = page.locator(`tr[data-number="${number}"]`);
    assert.strictEqual(await row.count(), 1);
    await noHorizontalScroll(page, 1280);
    await shot(page, 'console-spam-1280.png');
    const before = Date.now() - 1000;
    await row.locator('button:has-text("Не спам")').click();
    await page.waitForLoadState('load');
    const a = JSON.parse(okno(['show', '--json', number]));
    assert.strictEqual(a.queue, '');
    assert.ok(a.deadline && Date.parse(a.deadline) > before, `deadline ${a.deadline}`);
    await page.goto(base + '/console/spam');
    assert.strictEqual(await page.locator(`tr[data-number="${number}"]`).count(), 0);
    assert.ok(await page.locator('#spam-empty').isVisible());

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true,
      hasTouch: true, locale: 'ru-RU', storageState: await desktop.storageState() });
    const ppage = await phone.newPage();
    await watch(ppage, problems);
    await ppage.goto(base + '/console/spam');
    await noHorizontalScroll(ppage, 390);
    await shot(ppage, 'console-spam-390.png');
    await phone.close();
    await desktop.close();
    assert.deepStrictEqual(problems, [], 'console errors');
    console.log(`ok: appeal ${number} marked as spam, listed on «Спам» and released; screenshots in ${artifacts}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
