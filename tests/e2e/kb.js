// kb.js: the browser test of the knowledge base (issue 19, docs/kb.md) in Debian's
// Chromium through playwright-core (run by tests/e2e/run_e2e.py, which starts the real
// daemon). A supervisor writes an article in the console (desktop), saves the draft and
// publishes it; then, at phone width (390 px, touch), a citizen typing the problem into
// the feedback form is offered the article (kb_offer.js, a polite live region), opens
// it, and finds it again with the /help search; with JavaScript off, the form's button
// «Проверить, есть ли готовый ответ» offers it too. No horizontal scroll at 390 px, and
// any console error (a CSP violation above all) or failed response fails the test.
'use strict';
const assert = require('assert');
const fs = require('fs');
const { okno, watch, noHorizontalScroll, shot, launch, desktopPage, signIn } = require('./console_helpers');

const base = process.env.OKNO_BASE_URL;
const artifacts = process.env.OKNO_ARTIFACTS;
const PASSWORD = 'Зелёный-чай-42';
const TITLE = 'Не приходит код подтверждения из СМС';
const PROBLEM = 'Третий день не приходят СМС с кодом подтверждения, когда я вхожу на портал, ' +
  'хотя телефон указан правильно.';

async function phonePage(browser, problems, javaScriptEnabled) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'ru-RU',
    javaScriptEnabled,
  });
  const page = await context.newPage();
  await watch(page, problems);
  return page;
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  okno(['department', 'add', '--code', 'support', '--name', 'Поддержка']);
  const user = JSON.parse(okno(['user', 'add', '--login', 'ivanova', '--role', 'supervisor',
    '--department', 'support', '--json']));
  okno(['user', 'password', '--login', 'ivanova'], PASSWORD + '\n');
  const browser = await launch();
  const problems = [];
  try {
    // the supervisor writes and publishes the article
    const desk = await desktopPage(browser, problems);
    await signIn(desk, base, 'ivanova', PASSWORD, user.totp_uri);
    await desk.click('nav.console a[href="/console/kb"]');
    await desk.waitForSelector('h1:has-text("База знаний")');
    await desk.click('#kb-new');
    await desk.getByLabel('Заголовок').fill(TITLE);
    await desk.getByLabel('Категория').fill('Вход на портал');
    await desk.getByLabel('Метки (через запятую)').fill('смс, код, вход');
    await desk.getByLabel('Текст статьи (Markdown)').fill(
      'Если код **не приходит**:\n\n- проверьте номер телефона в профиле;\n' +
      '- запросите код ещё раз через пять минут.\n');
    await desk.click('#kb-save');
    await desk.waitForSelector('#kb-state:has-text("черновик")');
    assert.strictEqual(await desk.locator('.kb-preview strong').textContent(), 'не приходит');
    await desk.click('#kb-publish');
    await desk.waitForSelector('#kb-state:has-text("опубликована")');
    await shot(desk, 'kb-console.png');
    const href = await desk.locator('#kb-state a').getAttribute('href');
    assert.match(href, /^\/help\/\d+$/);

    // a citizen on a phone is offered it while describing the problem
    const phone = await phonePage(browser, problems, true);
    await phone.goto(base + '/feedback');
    await phone.getByLabel('Описание вопроса или проблемы').click();
    await phone.keyboard.type(PROBLEM, { delay: 5 });
    const offer = phone.locator('#kb-offers-list a', { hasText: TITLE });
    await offer.waitFor({ state: 'visible', timeout: 10000 });
    assert.strictEqual(await phone.locator('#kb-offers').getAttribute('aria-live'), 'polite');
    assert.strictEqual(await offer.getAttribute('href'), href);
    await noHorizontalScroll(phone, 390);
    await shot(phone, 'kb-feedback-offer-390.png');
    await phone.goto(base + href);
    await phone.waitForSelector(`h1:has-text("${TITLE}")`);
    await noHorizontalScroll(phone, 390);
    await phone.goto(base + '/help');
    await phone.getByLabel('Поиск по статьям').fill('коды из смс не приходят');
    await phone.click('form.help-search button');
    await phone.waitForSelector(`#help-list a:has-text("${TITLE}")`);
    await noHorizontalScroll(phone, 390);
    await shot(phone, 'kb-help-390.png');

    // without JavaScript: the step «Проверить, есть ли готовый ответ»
    const plain = await phonePage(browser, problems, false);
    await plain.goto(base + '/feedback');
    await plain.getByLabel('Описание вопроса или проблемы').fill(PROBLEM);
    assert.ok(await plain.locator('#kb-offers').isHidden());
    await plain.click('#kb-check');
    await plain.waitForSelector(`#kb-offers-list a:has-text("${TITLE}")`);
    assert.strictEqual(await plain.getByLabel('Описание вопроса или проблемы').inputValue(), PROBLEM);
    await noHorizontalScroll(plain, 390);
    await shot(plain, 'kb-feedback-nojs-390.png');
    assert.deepStrictEqual(problems, []);
  } finally {
    await browser.close();
  }
  console.log('kb: the article published in the console is offered on the form at 390 px');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
