// The must-show flow of 人员定位 in Chromium: the safety officer draws a fence
// with a person limit on the plan by clicking its corners, the test's gateway
// pushes signed fixes that break it, the 超员 alarm appears on the live map
// within 3 s (pushed over SSE, no reload), is opened on the phone (/e/m) with
// the people inside the area, handled there, and confirmed on the map; the
// province regulator then sees the published alarm and its warning in the
// portal.
// Run by TestBrowserFenceAlarm (browser_test.go).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { chromiumArgs } from '../../../web/browsertest/chromium.mjs';

const env = JSON.parse(process.env.CHEMGUARD_E2E_ENV);
const require = createRequire(join(env.playwright, 'package.json'));
const { chromium } = require('playwright-core');

const browser = await chromium.launch({ executablePath: env.chromium, args: chromiumArgs });
const url = (p) => env.baseURL + p;
const shot = async (page, name) => {
  if (env.screenshots) { await page.screenshot({ path: join(env.screenshots, 'positioning-' + name + '.png'), fullPage: true }); }
};
// login signs the safety officer in to the base system, typing as a person would.
const login = async (page) => {
  await page.goto(url('/e/login'));
  await page.locator('#username:focus').waitFor();
  await page.keyboard.type(env.safety);
  await page.keyboard.press('Tab');
  await page.keyboard.type(env.password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/e/login', { timeout: 60_000 }), page.keyboard.press('Enter')]);
};
try {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  await login(page);

  // Draw the fence: four clicks on the 200 × 120 m plan.
  await page.goto(url('/e/positioning/setup?floor=1'));
  const map = page.locator('svg#map');
  await map.scrollIntoViewIfNeeded();
  const box = await map.boundingBox();
  for (const [fx, fy] of [[0.1, 0.3], [0.45, 0.3], [0.45, 0.75], [0.1, 0.75]]) {
    await map.click({ position: { x: box.width * fx, y: box.height * fy } });
  }
  assert.equal((await page.locator('#points').inputValue()).split(';').length, 4);
  await page.getByLabel('围栏名称（报警位置）').fill('装卸区');
  await page.getByLabel('类别').selectOption('hazard');
  await page.getByLabel('限定人数（达到即超员报警，0 不限）').fill('2');
  await shot(page, 'fence');
  await Promise.all([page.waitForURL(/flash=/), page.locator('#save-fence').click()]);
  await page.getByRole('cell', { name: '装卸区' }).waitFor();

  // The live map; then the gateway pushes two people into the fence.
  await page.goto(url('/e/positioning'));
  await page.locator('#updated').filter({ hasNotText: '—' }).waitFor();
  const r = await page.request.post(env.pushURL);
  assert.equal(r.status(), 204, await r.text());
  const started = Date.now();
  const alarm = page.locator('#alarms li', { hasText: '超员预警 · 装卸区' });
  await alarm.waitFor({ timeout: 3000 });
  console.log(`alarm on the map ${Date.now() - started} ms after the gateway's push`);
  await page.locator('svg#map circle.alarm').first().waitFor();
  await shot(page, 'alarm');

  // The safety officer on site: the alarm on the phone (/e/m), who is inside
  // the area, handled there; the map in the control room shows it handled
  // without a reload.
  const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  const phone = await phoneCtx.newPage();
  await login(phone);
  await phone.goto(url('/e/m/positioning'));
  await phone.getByRole('link', { name: /超员预警 · 装卸区/ }).click();
  await phone.waitForURL(/\/e\/m\/positioning\/alarms\//);
  const inside = phone.locator('#inside li');
  await inside.filter({ hasText: '王来访' }).waitFor();
  assert.equal(await inside.count(), 2, 'both people in the area are on the evacuation list');
  await shot(phone, 'phone-alarm');
  await phone.getByLabel('处理信息').fill('已令无关人员撤出装卸区');
  await Promise.all([phone.waitForURL(/flash=/), phone.getByRole('button', { name: '提交处置' }).click()]);
  await phone.locator('#alarm-status', { hasText: '已处置，待确认' }).waitFor();
  await phoneCtx.close();

  const handled = page.locator('#alarms li.handled', { hasText: '已令无关人员撤出装卸区' });
  await handled.waitFor();
  await Promise.all([page.waitForURL(url('/e/positioning')), handled.getByRole('button', { name: '确认处置' }).click()]);
  await page.locator('#alarm-count', { hasText: '0' }).waitFor();
  await ctx.close();

  // The province regulator: the platform has the published alarm and its
  // warning (the test answers when it does); the portal shows both.
  const regCtx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
  const published = await regCtx.request.post(env.publishedURL, { timeout: 70_000 });
  assert.equal(published.status(), 204, await published.text());
  const reg = await regCtx.newPage();
  await reg.goto(url('/portal/login'));
  await reg.locator('#username').fill(env.regulator.username);
  await reg.locator('#password').fill(env.regulator.password);
  const otp = await regCtx.request.get(env.regulator.otpURL);
  assert.equal(otp.status(), 200, await otp.text());
  await reg.locator('#otp').fill(await otp.text());
  await Promise.all([reg.waitForURL((u) => u.pathname !== '/portal/login', { timeout: 60_000 }), reg.locator('#otp').press('Enter')]);
  await reg.goto(url('/portal/companies/' + env.company));
  // One row: the alarm and its handling were published under one id.
  const row = reg.locator('#positioning-alarms tbody tr', { hasText: '装卸区' });
  await row.filter({ hasText: '超员' }).filter({ hasText: '报警已处理' }).waitFor();
  assert.equal(await row.count(), 1, 'the alarm and its handling are one record on the platform');
  await reg.locator('#positioning-alarms').scrollIntoViewIfNeeded();
  await shot(reg, 'regulator-company');
  await reg.goto(url('/portal/warnings'));
  await reg.locator('#warnings tbody tr', { has: reg.locator('a[href="/portal/companies/' + env.company + '"]') })
    .filter({ hasText: '违规行为' }).first().waitFor();
  await shot(reg, 'regulator-warning');
  await regCtx.close();
} finally {
  await browser.close();
}
