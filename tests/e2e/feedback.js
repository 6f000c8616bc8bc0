// feedback.js: the browser test of the citizen pages, in Debian's Chromium through
// playwright-core. Started by run_e2e.py, which runs the real daemon and passes
// OKNO_BASE_URL, OKNO_BIN, OKNO_CONFIG and OKNO_ARTIFACTS (where screenshots go).
// On a 390-px phone viewport: open /feedback, see every error next to its field with
// the focus on the first, fill the form with a file, let the proof-of-work captcha
// solve, submit, read the appeal number and check it with `okno show --json`; check
// the status page with it; screenshots of /feedback and /status at 390 and 1280 px.
// Any console error (a CSP violation, a missing file) fails the test.
'use strict';
const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');

const base = process.env.OKNO_BASE_URL;
const artifacts = process.env.OKNO_ARTIFACTS;
const DESCRIPTION = 'Третий день не могу войти в личный кабинет: после ввода пароля страница ' +
  'обновляется и снова просит войти. Пробовал другой браузер и очистку cookies.';
const PDF = '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]' +
  '/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n';

function okno(...args) {
  return execFileSync(process.env.OKNO_BIN, [args[0], '--config', process.env.OKNO_CONFIG,
    ...args.slice(1)], { encoding: 'utf8' });
}

async function watch(page, problems) {
  // 4xx answers are part of the test (422 for the empty form); everything else that
  // the console calls an error (a Content-Security-Policy violation above all) is not.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 422/.test(m.text())) {
      problems.push(m.text());
    }
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

    await page.goto(base + '/feedback');
    assert.strictEqual(await page.getAttribute('html', 'lang'), 'ru');
    await noHorizontalScroll(page, 390);
    await shot(page, 'feedback-390.png');

    // Submitting the empty form: errors next to the fields, focus on the first.
    await page.click('#submit');
    await page.waitForSelector('#name-error');
    assert.strictEqual(await page.evaluate(() => document.activeElement.id), 'name');
    for (const f of ['name', 'email', 'category', 'description', 'consent']) {
      assert.ok(await page.isVisible(`#${f}-error`), `no error shown for ${f}`);
    }
    assert.strictEqual(await page.getAttribute('#email', 'aria-invalid'), 'true');
    await noHorizontalScroll(page, 390);
    await shot(page, 'feedback-errors-390.png');

    // The real submission, keyboard-reachable fields filled by their labels.
    await page.getByLabel('Фамилия, имя, отчество *').fill('Петров Иван Сергеевич');
    await page.getByLabel('Адрес электронной почты для ответа *').fill('ivan.e2e@example.ru');
    await page.getByLabel('Телефон').fill('+7 912 345-67-89');
    await page.getByLabel('Тема обращения *').selectOption('registration');
    await page.getByLabel('Описание вопроса или проблемы *').fill(DESCRIPTION);
    const file = path.join(os.tmpdir(), `okno-e2e-${process.pid}.pdf`);
    fs.writeFileSync(file, PDF);
    await page.setInputFiles('#attachments', file);
    await page.check('#consent');
    const t0 = Date.now();
    await page.waitForSelector('#feedback-form[data-pow-solved="yes"]', { timeout: 120000 });
    const powMs = Date.now() - t0;
    assert.ok(await page.isHidden('#captcha-question'), 'the question stays after the work is done');
    assert.notStrictEqual(await page.inputValue('#captcha_nonce'), '');
    await page.click('#submit');
    await page.waitForSelector('#appeal-number');
    const number = (await page.textContent('#appeal-number')).trim();
    assert.match(number, /^\d\d-\d{6,}-\d$/);
    await noHorizontalScroll(page, 390);
    await shot(page, 'feedback-done-390.png');
    fs.unlinkSync(file);

    const a = JSON.parse(okno('show', '--json', number));
    assert.strictEqual(a.channel, 'web');
    assert.strictEqual(a.category, 'registration');
    assert.strictEqual(a.from.email, 'ivan.e2e@example.ru');
    assert.strictEqual(a.from.name, 'Петров Иван Сергеевич');
    assert.deepStrictEqual(a.messages[0].attachments.map((x) => x.content_type), ['application/pdf']);

    // The status page with that number.
    await page.goto(base + '/status');
    await shot(page, 'status-390.png');
    await page.getByLabel('Номер обращения').fill(number);
    await page.getByLabel('Адрес электронной почты').fill('ivan.e2e@example.ru');
    await page.click('button[type=submit]');
    await page.waitForSelector('.notice.success');
    assert.match(await page.textContent('.notice.success'), /Зарегистрировано/);
    await noHorizontalScroll(page, 390);
    await shot(page, 'status-result-390.png');
    await phone.close();

    const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ru-RU' });
    const dpage = await desktop.newPage();
    await watch(dpage, problems);
    for (const p of ['feedback', 'status']) {
      await dpage.goto(`${base}/${p}`);
      await noHorizontalScroll(dpage, 1280);
      await shot(dpage, `${p}-1280.png`);
    }
    await desktop.close();
    assert.deepStrictEqual(problems, [], 'console errors');
    console.log(`ok: appeal ${number}, proof of work ready ${powMs} ms after the form was filled, screenshots in ${artifacts}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
