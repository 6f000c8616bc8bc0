// cabinet.js: the browser test of the citizen cabinet «Мои обращения», in Debian's
// Chromium through playwright-core. Started by run_e2e.py (the web branch's runner),
// which runs the real daemon and passes OKNO_BASE_URL, OKNO_BIN, OKNO_CONFIG and
// OKNO_ARTIFACTS (where screenshots go).
// An appeal is registered with `okno submit`; on a 390-px phone viewport the citizen
// signs in with the code taken from the outbound maildir (typed by keyboard), finds the
// appeal in the list, opens its card, replies (the reply joins the thread: checked with
// `okno show --json`); an operator answers (`okno appeal status NUMBER answered`) and
// the citizen sees the answer and rates it in the browser; screenshots of /cabinet and
// the card at 390 and 1280 px, no horizontal scrolling at 390 px. Any console error (a
// Content-Security-Policy violation, a missing file) fails the test. «Скачать
// подтверждение» downloads the journal's inclusion proof, checked here (RFC 9162).
'use strict';
const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { codeFromMaildir } = require('./cabinet_helpers');

const base = process.env.OKNO_BASE_URL;
const artifacts = process.env.OKNO_ARTIFACTS;
const CITIZEN = 'olga.e2e@example.ru';
const BODY = 'Здравствуйте! Не могу записаться на приём к врачу через портал: после выбора ' +
  'времени страница выдаёт ошибку. Прошу помочь разобраться.';

function okno(...args) {
  return execFileSync(process.env.OKNO_BIN, [args[0], '--config', process.env.OKNO_CONFIG,
    ...args.slice(1)], { encoding: 'utf8', cwd: path.dirname(process.env.OKNO_CONFIG) });
}

function submitAppeal() {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'okno-e2e-')), 'in.eml');
  fs.writeFileSync(file, `From: Ольга <${CITIZEN}>\r\nTo: support@portal.example\r\n` +
    'Subject: Запись на приём\r\nMessage-ID: <e2e-cabinet-1@example.ru>\r\nMIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
    BODY + '\r\n');
  return okno('submit', file).trim();
}

async function watch(page, problems) {
  // The browser's own /favicon.ico guess is not a page's resource (a 404 without the icon).
  page.on('console', (m) => {
    if (m.type() === 'error' && !/\/favicon\.ico$/.test(m.location().url || '')) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
}

async function noHorizontalScroll(page, width) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= width, `page is ${w}px wide at a ${width}px viewport`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, name), fullPage: true });
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const number = submitAppeal();
  assert.match(number, /^\d\d-\d{6}-\d$/);
  const browser = await chromium.launch({
    executablePath: process.env.OKNO_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const problems = [];
  try {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true,
      hasTouch: true, locale: 'ru-RU',
    });
    const page = await phone.newPage();
    await watch(page, problems);

    // Signed out, the cabinet sends the citizen to the sign-in page.
    await page.goto(base + '/cabinet');
    assert.ok(page.url().endsWith('/cabinet/login'), page.url());
    await noHorizontalScroll(page, 390);
    await shot(page, 'cabinet-login-390.png');
    await page.getByLabel('Адрес электронной почты').fill(CITIZEN);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#code');
    const code = await codeFromMaildir(CITIZEN);
    await page.getByLabel('Код из письма (6 цифр)').fill(code);
    await page.keyboard.press('Enter');
    await page.waitForURL(base + '/cabinet');
    assert.ok(await page.isVisible(`text=Обращение № ${number}`));
    await noHorizontalScroll(page, 390);
    await shot(page, 'cabinet-390.png');

    // The card, then a reply through the form.
    await page.click(`text=Обращение № ${number}`);
    await page.waitForURL(`${base}/cabinet/appeals/${number}`);
    assert.ok(await page.isVisible('text=Зарегистрировано'));
    assert.ok(await page.isVisible('text=Срок ответа'));
    await noHorizontalScroll(page, 390);
    await shot(page, 'appeal-390.png');
    await page.getByLabel('Сообщение', { exact: true }).fill('Дополняю: ошибка 502 <b>после</b> выбора времени.');
    await page.click('button:has-text("Отправить")');
    await page.waitForURL(`${base}/cabinet/appeals/${number}?sent=1`);
    assert.ok(await page.isVisible('text=Ваше сообщение добавлено к обращению.'));
    assert.ok(await page.isVisible('text=ошибка 502 <b>после</b> выбора времени'));
    const shown = JSON.parse(okno('show', '--json', number));
    const ins = shown.messages.filter((m) => m.direction === 'in');
    assert.strictEqual(ins.length, 2);
    assert.ok(ins[1].text.includes('ошибка 502'));

    // «Скачать подтверждение»: the journal's inclusion proof of the registration, checked
    // here against the signed head it names (RFC 9162 leaf hash and path).
    {
      const [download] = await Promise.all([page.waitForEvent('download'),
        page.click('text=Скачать подтверждение')]);
      assert.strictEqual(download.suggestedFilename(), `podtverzhdenie-${number}.json`);
      const proof = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
      assert.strictEqual(proof.number, number);
      assert.ok(proof.entry.includes(`\nnumber=${number}\n`));
      const sha = (...parts) => require('crypto').createHash('sha256')
        .update(Buffer.concat(parts)).digest();
      const leaf = sha(Buffer.from([0]), Buffer.from(proof.entry, 'utf8'));
      assert.strictEqual(leaf.toString('hex'), proof.leaf_hash);
      let fn = proof.leaf_index, sn = proof.tree_head.size - 1, r = leaf;
      for (const h of proof.inclusion_proof.map((x) => Buffer.from(x, 'hex'))) {
        if (fn % 2 === 1 || fn === sn) {
          r = sha(Buffer.from([1]), h, r);
          if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
        } else {
          r = sha(Buffer.from([1]), r, h);
        }
        fn >>= 1; sn >>= 1;
      }
      assert.strictEqual(sn, 0);
      assert.strictEqual(r.toString('hex'), proof.tree_head.root);
    }

    // An operator answers; the card shows the answer, and the citizen rates it once.
    okno('appeal', 'status', number, 'answered', '--answer',
      'Ошибку записи на приём исправили, запись снова работает.');
    await page.goto(`${base}/cabinet/appeals/${number}`);
    assert.ok(await page.isVisible('text=Дан ответ'));
    assert.ok(await page.isVisible('text=Ошибку записи на приём исправили'));
    await page.check('#s5');
    await page.getByLabel('Комментарий (необязательно)').fill('Спасибо, всё работает.');
    await page.click('button:has-text("Оценить")');
    await page.waitForSelector('text=Оценка: 5 из 5.');
    assert.ok(await page.isVisible('text=Спасибо, всё работает.'));
    assert.strictEqual(await page.locator('button:has-text("Оценить")').count(), 0);

    // The same pages on a desktop, same session.
    const desk = await browser.newContext({
      viewport: { width: 1280, height: 900 }, locale: 'ru-RU', storageState: await phone.storageState(),
    });
    const dpage = await desk.newPage();
    await watch(dpage, problems);
    await dpage.goto(base + '/cabinet');
    assert.ok(await dpage.isVisible(`text=Обращение № ${number}`));
    await shot(dpage, 'cabinet-1280.png');
    await dpage.goto(`${base}/cabinet/appeals/${number}`);
    await shot(dpage, 'appeal-1280.png');

    // «Скачать мои данные»: a ZIP at once, with the appeal's JSON and letters.
    const [download] = await Promise.all([
      dpage.waitForEvent('download'),
      dpage.click('a:has-text("Скачать мои данные")'),
    ]);
    const zipPath = path.join(artifacts, 'moi-dannye.zip');
    await download.saveAs(zipPath);
    assert.match(download.suggestedFilename(), /^moi-dannye-.*\.zip$/);
    assert.strictEqual(fs.readFileSync(zipPath).subarray(0, 4).toString('latin1'), 'PK\x03\x04');
    const listing = execFileSync('unzip', ['-l', zipPath], { encoding: 'utf8' });
    assert.ok(listing.includes(`${number}/appeal.json`), listing);
    assert.ok(listing.includes(`${number}/letters/1-in.eml`), listing);
    execFileSync('unzip', ['-tq', zipPath]);

    // Sign-out by keyboard: the button is reachable and works.
    await page.focus('nav.cabinet button');
    await page.keyboard.press('Enter');
    await page.waitForURL(base + '/cabinet/login');
  } finally {
    await browser.close();
  }
  assert.deepStrictEqual(problems, []);
  console.log('cabinet e2e: ok, screenshots in ' + artifacts);
}

main().catch((e) => { console.error(e); process.exit(1); });
