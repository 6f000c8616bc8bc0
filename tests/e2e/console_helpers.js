// console_helpers.js: what the console's browser tests share (console.js, spam.js): the
// CLI of the daemon run_e2e.py started, a TOTP code from an otpauth:// URI (RFC 6238
// with node's crypto), a watch on console errors and failed responses, the horizontal
// scroll check and screenshots into OKNO_ARTIFACTS.
'use strict';
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');
const assert = require('assert');
const crypto = require('crypto');
const path = require('path');

const artifacts = process.env.OKNO_ARTIFACTS;

function okno(args, input) {
  return execFileSync(process.env.OKNO_BIN, [args[0], '--config', process.env.OKNO_CONFIG,
    ...args.slice(1)], { encoding: 'utf8', input });
}

function base32(s) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/=+$/, '')) bits += abc.indexOf(c).toString(2).padStart(5, '0');
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

function totp(uri) {
  const secret = new URL(uri).searchParams.get('secret');
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = crypto.createHmac('sha1', base32(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

async function watch(page, problems) {
  // a failed load is judged by its response below (the favicon may be missing)
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) problems.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
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

// Debian's Chromium, headless, as every browser test of the console starts it.
function launch() {
  return chromium.launch({
    executablePath: process.env.OKNO_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

// A desktop page (1280 px, Russian) whose console errors and failed requests go into
// `problems`.
async function desktopPage(browser, problems) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ru-RU' });
  const page = await context.newPage();
  await watch(page, problems);
  return page;
}

// Signs `login` in (a page with no session yet) on the console's form, the password typed after a Tab as a person
// would, the code computed from the account's otpauth:// URI; waits for the queues.
async function signIn(page, base, login, password, totpUri) {
  await page.goto(base + '/console');
  assert.ok(page.url().endsWith('/console/login'), page.url()); // no session: the sign-in form
  await page.getByLabel('Логин').fill(login);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.getByLabel('Код из приложения').fill(totp(totpUri));
  await page.keyboard.press('Enter');
  await page.waitForSelector('h1:has-text("Очереди обращений")');
}

// Adds an answer template on /console/templates (the user's first department).
async function addTemplate(page, base, name, body) {
  await page.goto(base + '/console/templates');
  await page.getByLabel('Название').fill(name);
  await page.getByLabel('Текст').fill(body);
  await page.click('button:has-text("Сохранить шаблон")');
  await page.waitForSelector(`h2:has-text("${name}")`);
}

module.exports = { okno, totp, watch, noHorizontalScroll, shot, launch, desktopPage, signIn, addTemplate };
