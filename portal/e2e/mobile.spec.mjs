// The inspector mobile app on a phone: issue 7 items 2 and 3 (README.md, scenario 5).
// The 巡查检查人员 of 济南市历下区 logs in at /m/, fills in a 检查督导 record with a
// photo while the phone has no network (context.setOffline), sees it waiting in
// the offline queue, goes back online and sees it sent and stored.
import assert from 'node:assert/strict';
import { test, env } from './harness.mjs';

const [mine, other] = env.counties || [];
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

// An 8×8 grey PNG stands in for the camera's photo.
const photo = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAAAAADhZOFXAAAAEklEQVR4nGNoYGBgYGBgYGAAAAUQAQH0Ua5sAAAAAElFTkSuQmCC', 'base64');

async function loginOnPhone(t, page, key) {
  const u = env.users[key];
  await page.goto(t.url('/m/login'));
  await page.getByLabel('用户名').fill(u.username);
  await page.getByLabel('密码', { exact: true }).fill(u.password);
  await Promise.all([page.waitForURL(t.url('/m/')), page.getByRole('button', { name: '登录' }).click()]);
}

test('巡查人员离线保存检查记录，联网后自动发送并入库', async (t) => {
  const page = await t.newPage(phone);
  const context = page.context();
  await loginOnPhone(t, page, 'inspector');
  assert.equal(await page.locator('h1').innerText(), '巡查检查');
  assert.match(await page.locator('header .who').innerText(), new RegExp(mine.name));
  assert.deepEqual(await t.checkForms(page), []);
  // Installable: the manifest is linked and the service worker takes control.
  assert.equal(await page.locator('link[rel=manifest]').getAttribute('href'), '/m/manifest.webmanifest');
  assert.ok(await page.evaluate(() => navigator.serviceWorker.ready.then((r) => !!r.active)), 'service worker active');
  await t.shot(page, 'mobile-home');

  t.step('在线巡查: only the county\'s companies');
  await page.getByRole('link', { name: '在线巡查' }).click();
  await page.waitForURL(t.url('/m/patrol'));
  const listed = await page.locator('main').innerText();
  for (const c of mine.companies) { assert.ok(listed.includes(c.name), `${c.name} missing`); }
  for (const c of other.companies) { assert.ok(!listed.includes(c.name), `${c.name} of ${other.name} listed`); }
  await t.shot(page, 'mobile-patrol');

  t.step('检查督导 form, then offline');
  const company = mine.companies[2] || mine.companies[0];
  await page.goto(t.url(`/m/supervise/${company.code}`));
  assert.deepEqual(await t.checkForms(page), []);
  await t.shot(page, 'mobile-supervise');
  await context.setOffline(true);
  await page.waitForFunction(() => !navigator.onLine);
  const note = `离线检查记录 ${Date.now()}：储罐区巡查，消防通道畅通`;
  await page.getByRole('group', { name: '数据在线' }).getByLabel('符合', { exact: true }).check();
  await page.getByRole('group', { name: '今日安全承诺' }).getByLabel('不符合').check();
  await page.getByLabel(/^检查情况/).fill(note);
  await page.getByLabel(/^现场照片/).setInputFiles({ name: 'scene.png', mimeType: 'image/png', buffer: photo });
  await page.getByRole('button', { name: '保存记录' }).click();
  const outbox = page.locator('#outbox');
  await outbox.waitFor({ state: 'visible' });
  assert.match(await page.locator('#outbox-summary').innerText(), /本机有 1 条记录待发送/);
  assert.match(await page.locator('#net').innerText(), /离线|离线队列/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await t.shot(page, 'mobile-offline-queue', { fullPage: false });

  t.step('back online: the queue sends it');
  await context.setOffline(false);
  const sent = page.locator('#last-sent');
  await sent.waitFor({ timeout: 20_000 });
  await outbox.waitFor({ state: 'hidden' });
  assert.match(await page.locator('#net').innerText(), /已发送/);
  const id = await sent.getAttribute('data-record-id');
  assert.ok(Number(id) > 0);

  t.step('stored: the record page shows it with its photo');
  await Promise.all([page.waitForURL(new RegExp(`/m/records/${id}$`)), sent.click()]);
  const text = await page.locator('main').innerText();
  assert.ok(text.includes(note), 'the note is stored');
  assert.ok(text.includes(company.name));
  assert.match(text, /今日安全承诺：不符合/);
  const img = page.locator('.photos img');
  assert.equal(await img.count(), 1);
  assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth === 8), 'the photo is served');
  await t.shot(page, 'mobile-record');

  t.step('a replay of the same form is answered as a duplicate');
  const replay = await page.evaluate(async (clientID) => {
    const fd = new FormData();
    fd.append('client_id', clientID); fd.append('kind', 'supervision');
    const r = await fetch('/m/records', { method: 'POST', body: fd, headers: { Accept: 'application/json' } });
    return { status: r.status, body: await r.json() };
  }, (await page.locator('main').innerText()).match(/表单编号 ([0-9a-f-]{36})/)[1]);
  assert.equal(replay.status, 200);
  assert.equal(replay.body.duplicate, true);
  assert.equal(String(replay.body.id), id);

  t.step('记录 and 预警处置 pages');
  await page.goto(t.url('/m/records'));
  assert.ok((await page.locator('main').innerText()).includes(company.name));
  assert.deepEqual(await t.checkForms(page), []);
  await page.goto(t.url('/m/warnings'));
  assert.deepEqual(await t.checkForms(page), []);
  await t.shot(page, 'mobile-warnings');
}, { timeout: 120_000 });
