// console.js: the browser test of the operator console, in Debian's Chromium through
// playwright-core, in the style of feedback.js (run by tests/e2e/run_e2e.py, which
// starts the real daemon and passes OKNO_BASE_URL, OKNO_BIN, OKNO_CONFIG and
// OKNO_ARTIFACTS). Sets up a department, a routing rule, an operator (password set
// through `okno user password`) and an appeal with the CLI; then, with the keyboard
// where a person would use it: signs in with a TOTP code computed here from the
// printed otpauth:// URI (RFC 6238 with node's crypto), finds the appeal in the
// "unassigned" queue, takes it, adds an answer template, previews the answer from the
// template, sends it, and finds the letter in the outbound maildir, threaded to the
// citizen's message; places a legal hold (the empty reason refused next to the field). Screenshots of the queue and the appeal at 390 and 1280 px; any
// console error (a CSP violation above all) fails the test.
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { okno, watch, noHorizontalScroll, shot, launch, desktopPage, signIn, addTemplate } = require('./console_helpers');

const base = process.env.OKNO_BASE_URL;
const artifacts = process.env.OKNO_ARTIFACTS;
const PASSWORD = 'Зелёный-чай-42';

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  okno(['department', 'add', '--code', 'passports', '--name', 'Паспортный отдел']);
  okno(['route', 'add', '--kind', 'keyword', '--value', 'паспорт', '--department', 'passports']);
  const user = JSON.parse(okno(['user', 'add', '--login', 'petrova', '--role', 'supervisor',
    '--department', 'passports', '--json']));
  okno(['user', 'password', '--login', 'petrova'], PASSWORD + '\n');
  const eml = path.join(os.tmpdir(), `okno-e2e-console-${process.pid}.eml`);
  fs.writeFileSync(eml, 'From: Ivan Petrov <ivan.e2e@example.ru>\r\nTo: support@portal.example\r\n' +
    'Subject: =?utf-8?B?' + Buffer.from('Потерян паспорт').toString('base64') + '?=\r\n' +
    'Message-ID: <e2e-console-1@example.ru>\r\nMIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
    'Здравствуйте! Потерял паспорт, что делать?\r\n');
  const number = okno(['submit', eml]).trim();
  fs.unlinkSync(eml);

  const browser = await launch();
  const problems = [];
  try {
    const page = await desktopPage(browser, problems);
    const desktop = page.context();
    await signIn(page, base, 'petrova', PASSWORD, user.totp_uri);

    await page.click('a[href="/console?view=unassigned"]');
    await page.click(`a[href="/console/appeals/${number}"]`);
    await page.waitForSelector(`h1:has-text("${number}")`);
    await shot(page, 'console-appeal-1280.png');
    await page.click('button:has-text("Взять в работу")');
    await page.waitForSelector('dd:has-text("petrova")');

    await addTemplate(page, base, 'Утрата паспорта', 'Здравствуйте, {{name}}! По обращению № {{number}}: ' +
      'обратитесь, пожалуйста, в ближайший МФЦ. {{operator}}');

    await page.goto(`${base}/console/appeals/${number}`);
    await page.getByLabel('Шаблон ответа').selectOption({ label: 'Утрата паспорта' });
    await page.click('button:has-text("Предпросмотр ответа")');
    await page.waitForSelector('h1:has-text("Предпросмотр ответа")');
    const text = await page.inputValue('#text');
    assert.ok(text.includes(`По обращению № ${number}`), text);
    await page.click('button:has-text("Отправить ответ")');
    await page.waitForSelector('dd:has-text("Дан ответ")');
    await noHorizontalScroll(page, 1280);
    await shot(page, 'console-answered-1280.png');
    await page.goto(base + '/console?view=all');
    await shot(page, 'console-queue-1280.png');

    const outbox = path.join(path.dirname(process.env.OKNO_CONFIG), 'outbox', 'new');
    let letter = null;
    for (let i = 0; i < 100 && !letter; i++) {
      for (const f of fs.existsSync(outbox) ? fs.readdirSync(outbox) : []) {
        const raw = fs.readFileSync(path.join(outbox, f), 'latin1');
        if (raw.includes('In-Reply-To: <e2e-console-1@example.ru>') && !raw.includes('Auto-Submitted')) letter = raw;
      }
      if (!letter) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(letter, 'the answer is not in the outbound maildir');
    const a = JSON.parse(okno(['show', '--json', number]));
    assert.strictEqual(a.status, 'answered');

    // A legal hold (docs/retention.md): an empty reason is refused next to the field,
    // then the hold is placed and shown on the page.
    await page.goto(`${base}/console/appeals/${number}`);
    await page.click('summary:has-text("Другие действия")'); // the rare actions are folded
    await page.click('button:has-text("Удерживать")');
    await page.waitForSelector('#hold-reason-error:has-text("Укажите основание удержания.")');
    assert.strictEqual(await page.getAttribute('#hold-reason', 'aria-invalid'), 'true');
    assert.strictEqual(await page.evaluate(() => document.activeElement.id), 'hold-reason');
    await page.keyboard.type('Запрос суда № 2-15/2026');
    await page.keyboard.press('Enter');
    await page.waitForSelector('dd.legal-hold:has-text("Запрос суда № 2-15/2026")');
    await shot(page, 'console-hold-1280.png');
    // the refused form's answer (422) was expected
    for (let i = problems.length - 1; i >= 0; i--) if (/^422 .*\/hold$/.test(problems[i])) problems.splice(i, 1);

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true,
      hasTouch: true, locale: 'ru-RU', storageState: await desktop.storageState() });
    const ppage = await phone.newPage();
    await watch(ppage, problems);
    await ppage.goto(base + '/console?view=all');
    await noHorizontalScroll(ppage, 390);
    await shot(ppage, 'console-queue-390.png');
    await ppage.goto(`${base}/console/appeals/${number}`);
    await noHorizontalScroll(ppage, 390);
    await shot(ppage, 'console-appeal-390.png');
    await phone.close();
    await desktop.close();
    assert.deepStrictEqual(problems, [], 'console errors');
    console.log(`ok: appeal ${number} taken and answered from a template; screenshots in ${artifacts}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
