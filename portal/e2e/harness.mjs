// chemguard browser-test harness: what a spec file imports. See README.md for the
// contract; run.mjs runs the registered tests.
//
//   import assert from 'node:assert/strict';
//   import { test, env } from './harness.mjs';
//   test('县级监管人员看到本县企业', async (t) => {
//     await t.login(t.page, 'county');
//     await t.page.goto(t.url('/portal/companies'));
//     ...
//     await t.shot(t.page, 'companies');
//   });

import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The platform and fixtures the Go harness started (CHEMGUARD_E2E_ENV). */
export const env = JSON.parse(process.env.CHEMGUARD_E2E_ENV || 'null') || {};

const registry = [];
let currentFile = '';

/** Set by run.mjs before it imports each spec file. */
export function setCurrentFile(name) { currentFile = name; }

/** The tests registered so far, in file then declaration order. */
export function registered() { return registry; }

/**
 * test registers a browser test. fn gets a TestContext (see run.mjs); it fails by
 * throwing (node:assert, Playwright's timeouts). opts.timeout is in ms (60 s).
 */
export function test(name, fn, opts = {}) {
  registry.push({ file: currentFile, name, fn, timeout: opts.timeout || 60_000 });
}

// ---- helpers shared by every spec ---------------------------------------------------

/** totp returns the RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32 secret at step. */
export function totp(secret, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) { throw new Error(`totp: bad base32 character ${ch}`); }
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', key).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

// The platform accepts a TOTP code once, one step of skew either way: remember the
// last step used per user and wait for a fresh one when all are spent. A code is
// only taken while the server will still accept it codeMargin from now: on a loaded
// machine the form's fill, the POST and the password check took seconds, and a code
// of the previous step taken near a step's end was refused by the time it arrived.
const lastStep = new Map();
const codeMargin = 25;
async function nextCode(user) {
  for (;;) {
    const secs = Date.now() / 1000;
    const now = Math.floor(secs / 30);
    // step is accepted while the server's step is at most step+1: until (step+2)*30.
    const fresh = Math.ceil((secs + codeMargin) / 30) - 2;
    const step = Math.max(now - 1, fresh, (lastStep.get(user.username) ?? -Infinity) + 1);
    if (step <= now + 1) {
      lastStep.set(user.username, step);
      return totp(user.totp, step);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** user returns env.users[key] or throws naming the known keys. */
export function user(key) {
  const u = env.users && env.users[key];
  if (!u) { throw new Error(`no user "${key}" in the harness; known: ${Object.keys(env.users || {}).join(', ')}`); }
  return u;
}

/**
 * login logs page in as env.users[key] through the portal's login form (by its
 * labels), with a TOTP code when the user has a secret, and waits until the
 * browser has left the login page. next is a portal path to land on.
 */
export async function login(page, key, next = '/portal/') {
  const u = user(key);
  await page.goto(`${env.baseURL}/portal/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('用户名').fill(u.username);
  await page.getByLabel('密码', { exact: true }).fill(u.password);
  if (u.totp) { await page.getByLabel(/动态口令/).fill(await nextCode(u)); }
  await submitAndLeave(page, '/portal/login');
}

/**
 * submitAndLeave clicks the login form's 登录 and waits until the browser has
 * left loginPath and the page it landed on has its DOM. The wait is for the
 * navigation's commit and then the load state, not waitForURL's own
 * domcontentloaded: a CI run (every package's tests at once on two cores) timed
 * out in waitForURL with the browser already on /portal/ and the network idle.
 * The first login of a run also pays the password check and the overview's first
 * render on a cold server, hence a longer wait than the context's 10 s.
 */
async function submitAndLeave(page, loginPath) {
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith(loginPath), { waitUntil: 'commit', timeout: 30_000 }),
    page.getByRole('button', { name: '登录' }).click(),
  ]);
  await page.waitForLoadState('domcontentloaded', { timeout: 30_000 });
}

/**
 * loginCompany logs a company account in to the base system (/e/login) and
 * waits for next: company accounts never reach the portal, they sign for and
 * answer their warnings under /e/warnings.
 */
export async function loginCompany(page, key, next = '/e/') {
  const u = user(key);
  await page.goto(`${env.baseURL}/e/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('用户名').fill(u.username);
  await page.getByLabel('密码', { exact: true }).fill(u.password);
  await submitAndLeave(page, '/e/login');
}

/**
 * companyAct takes the company's 签收 or 处置反馈 on the base system's warning
 * page it is on (/e/warnings/ID), as its safety officer would, and waits for
 * the page to reload with the step done.
 */
export async function companyAct(page, action, note) {
  await page.getByLabel('操作', { exact: true }).selectOption({ label: action });
  if (note) { await page.getByLabel(/处置情况/).fill(note); }
  await Promise.all([page.waitForURL(/done=/), page.getByRole('button', { name: '提交' }).click()]);
  await page.locator('#events').waitFor();
}

/** Where screenshots go: docs/screenshots with CHEMGUARD_SCREENSHOTS=1, else artifacts. */
export function screenshotDir() {
  const dir = env.screenshots || join(env.artifacts || 'artifacts', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * checkForms checks the page is usable without a mouse and with a screen reader:
 * every visible input, select and textarea has a label (label[for], a wrapping
 * label, aria-label or aria-labelledby), every button has a name, every form has a
 * submit button, and pressing Tab from the top of the page reaches every control in
 * document order. It returns the problems found (empty when none).
 */
export async function checkForms(page) {
  const problems = await page.evaluate(() => {
    const out = [];
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) &&
      getComputedStyle(el).visibility !== 'hidden';
    const describe = (el) => `<${el.tagName.toLowerCase()}${el.id ? ' id=' + el.id : ''}${el.name ? ' name=' + el.name : ''}>`;
    const labelled = (el) => {
      if (el.getAttribute('aria-label')) { return true; }
      const by = el.getAttribute('aria-labelledby');
      if (by && by.split(/\s+/).some((id) => (document.getElementById(id)?.textContent || '').trim())) { return true; }
      return Array.from(el.labels || []).some((l) => l.textContent.trim());
    };
    const controls = Array.from(document.querySelectorAll('input, select, textarea'))
      .filter((el) => el.type !== 'hidden' && visible(el));
    for (const el of controls) {
      if (!['submit', 'button', 'reset', 'image'].includes(el.type) && !labelled(el)) {
        out.push(`${describe(el)} has no label`);
      }
    }
    for (const b of Array.from(document.querySelectorAll('button, input[type=submit], input[type=button]')).filter(visible)) {
      if (!(b.textContent.trim() || b.value || b.getAttribute('aria-label'))) { out.push(`${describe(b)} has no name`); }
    }
    for (const f of Array.from(document.querySelectorAll('form')).filter(visible)) {
      if (!f.querySelector('button:not([type=button]):not([type=reset]), input[type=submit], input[type=image]')) {
        out.push(`form ${f.getAttribute('action') || ''} has no submit button (Enter cannot send it)`);
      }
    }
    for (const el of document.querySelectorAll('[tabindex]')) {
      if (Number(el.getAttribute('tabindex')) > 0) { out.push(`${describe(el)} has a positive tabindex`); }
    }
    return out;
  });
  // Walk the page with Tab and see every enabled control get the focus. A group of
  // radio buttons is one Tab stop (the arrow keys move within it): its first
  // button stands for the group.
  const want = await page.evaluate(() => {
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) &&
      getComputedStyle(el).visibility !== 'hidden';
    let n = 0;
    const radioGroups = new Set();
    for (const el of document.querySelectorAll('input, select, textarea, button, a[href], [tabindex]')) {
      if (el.type === 'hidden' || el.disabled || !visible(el) || el.getAttribute('tabindex') === '-1') { continue; }
      if (el.type === 'radio' && el.name) {
        const group = `${el.form ? Array.from(document.forms).indexOf(el.form) : -1}/${el.name}`;
        if (radioGroups.has(group)) { continue; }
        radioGroups.add(group);
      }
      el.dataset.e2eFocus = String(n++);
    }
    // Start the Tab walk from the top of the page, as after loading it.
    const start = document.createElement('span');
    start.tabIndex = -1;
    start.dataset.e2eStart = '';
    document.body.prepend(start);
    start.focus();
    return n;
  });
  const reached = new Set();
  for (let i = 0; i < want + 5 && reached.size < want; i++) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(() => document.activeElement?.dataset?.e2eFocus ?? null);
    if (id !== null) { reached.add(Number(id)); }
  }
  const missed = await page.evaluate((got) => Array.from(document.querySelectorAll('[data-e2e-focus]'))
    .filter((el) => !got.includes(Number(el.dataset.e2eFocus)))
    .map((el) => `<${el.tagName.toLowerCase()}${el.id ? ' id=' + el.id : ''}> "${(el.textContent || el.name || '').trim().slice(0, 30)}"`),
  Array.from(reached));
  for (const m of missed) { problems.push(`${m} is not reached by Tab`); }
  await page.evaluate(() => {
    document.querySelectorAll('[data-e2e-focus]').forEach((el) => delete el.dataset.e2eFocus);
    document.querySelector('[data-e2e-start]')?.remove();
  });
  return problems;
}
