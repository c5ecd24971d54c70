// The inspector mobile app on a phone: issue 7 items 2 and 3 (README.md, scenario 5).
// The 巡查检查人员 of 济南市历下区 logs in at /m/, fills in a 检查督导 record with a
// photo while the phone has no network (context.setOffline), sees it waiting in
// the offline queue, goes back online and sees it sent and stored.
import assert from 'node:assert/strict';
import { test, env, loginCompany, companyAct } from './harness.mjs';

const [mine, other] = env.counties || [];
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

// An 8×8 grey PNG stands in for the camera's photo.
const photo = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAAAAADhZOFXAAAAEklEQVR4nGNoYGBgYGBgYGAAAAUQAQH0Ua5sAAAAAElFTkSuQmCC', 'base64');

// shot saves a screenshot from the top of the page (the Tab walk of checkForms
// scrolls; a full-page shot of a scrolled page draws the sticky header mid-page).
// The tab bar is fixed to the bottom of the screen: a full-page shot of a page
// longer than the screen would draw it across the content, so such pages are
// shot as the phone's screen shows them. The focus ring of the Tab walk is dropped.
async function shot(t, page, name, opts) {
  const long = await page.evaluate(() => {
    window.scrollTo(0, 0);
    if (document.activeElement) { document.activeElement.blur(); }
    return document.documentElement.scrollHeight > window.innerHeight + 1;
  });
  await t.shot(page, name, long ? { ...opts, fullPage: false } : opts);
}

// backOnline ends the emulated offline state and waits until the service
// worker's own fetches reach the server again. Chromium lifts the state from
// the page first: a navigation in between is answered by the worker with its
// offline page (CI run of 2026-12-05: 记录 showed 当前没有网络 right after).
async function backOnline(page) {
  const context = page.context();
  await context.setOffline(false);
  await page.waitForFunction(() => navigator.onLine);
  const [worker] = context.serviceWorkers();
  if (!worker) { return; }
  for (let tries = 0; tries < 100; tries++) {
    const reached = await worker.evaluate(() => fetch('/m/static/m.css', { cache: 'no-store' }).then((r) => r.ok, () => false)).catch(() => false);
    if (reached) { return; }
    await page.waitForTimeout(100);
  }
  throw new Error('the service worker did not reach the server within 10 s of going back online');
}

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
  await shot(t, page, 'mobile-home');

  t.step('在线巡查: only the county\'s companies');
  await page.getByRole('link', { name: '在线巡查' }).click();
  await page.waitForURL(t.url('/m/patrol'));
  const listed = await page.locator('main').innerText();
  for (const c of mine.companies) { assert.ok(listed.includes(c.name), `${c.name} missing`); }
  for (const c of other.companies) { assert.ok(!listed.includes(c.name), `${c.name} of ${other.name} listed`); }
  await shot(t, page, 'mobile-patrol');

  t.step('检查督导 form, then offline');
  const company = mine.companies[2] || mine.companies[0];
  await page.goto(t.url(`/m/supervise/${company.code}`));
  assert.deepEqual(await t.checkForms(page), []);
  await shot(t, page, 'mobile-supervise');
  await context.setOffline(true);
  await page.waitForFunction(() => !navigator.onLine);
  const note = `离线检查记录 ${Date.now()}：储罐区巡查，消防通道畅通`;
  await page.getByRole('group', { name: '数据在线' }).getByLabel('符合', { exact: true }).check();
  await page.getByRole('group', { name: '今日安全承诺' }).getByLabel('不符合').check();
  await page.getByLabel(/^检查情况/).fill(note);
  await page.getByLabel(/^现场照片/).setInputFiles({ name: 'scene.png', mimeType: 'image/png', buffer: photo });
  const savedFrom = Date.now();
  await page.getByRole('button', { name: '保存记录' }).click();
  const outbox = page.locator('#outbox');
  await outbox.waitFor({ state: 'visible' });
  assert.match(await page.locator('#outbox-summary').innerText(), /本机有 1 条记录待发送/);
  // Its time is Beijing time, as every page shows times (not UTC).
  const beijing = (ms) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');
  // Any minute from the click to now: a loaded machine may take more than one.
  const queued = await page.locator('#outbox-list li').first().innerText();
  const minutes = [];
  for (let ms = Math.floor(savedFrom / 60e3) * 60e3; ms <= Date.now(); ms += 60e3) minutes.push(beijing(ms));
  assert.ok(minutes.some((m) => queued.includes(m)), `queued at ${queued}: not Beijing time (${minutes.join(', ')})`);
  assert.match(await page.locator('#net').innerText(), /离线|离线队列/);
  await shot(t, page, 'mobile-offline-queue', { fullPage: false });

  t.step('back online: the queue sends it');
  await backOnline(page);
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
  // The page is there before its photo: wait for the image to load (or fail).
  const width = await img.evaluate((el) => (el.complete ? el.naturalWidth
    : new Promise((resolve) => { el.onload = el.onerror = () => resolve(el.naturalWidth); })));
  assert.equal(width, 8, 'the photo is served');
  await shot(t, page, 'mobile-record');

  t.step('a replay of the same form (with the page\'s CSRF token, as m.js sends it) is answered as a duplicate');
  const clientID = (await page.locator('main').innerText()).match(/表单编号 ([0-9a-f-]{36})/)[1];
  const post = (withToken) => page.evaluate(async ([clientID, withToken]) => {
    const fd = new FormData();
    fd.append('client_id', clientID); fd.append('kind', 'supervision');
    if (withToken) fd.append('csrf_token', document.querySelector('meta[name="csrf-token"]').content);
    const r = await fetch('/m/records', { method: 'POST', body: fd, headers: { Accept: 'application/json' } });
    return { status: r.status, body: await r.json() };
  }, [clientID, withToken]);
  assert.equal((await post(false)).status, 403, 'a post without the token is refused');
  const replay = await post(true);
  assert.equal(replay.status, 200);
  assert.equal(replay.body.duplicate, true);
  assert.equal(String(replay.body.id), id);

  t.step('offline, the service worker shows pages opened before and the offline page otherwise');
  await context.setOffline(true);
  await page.goto(t.url('/m/patrol'));
  assert.ok((await page.locator('main').innerText()).includes(mine.companies[0].name), 'the patrol list from the cache');
  await page.goto(t.url('/m/records?kind=spot'));
  assert.match(await page.locator('main').innerText(), /当前没有网络/);
  await backOnline(page);

  t.step('记录 and 预警处置 pages');
  await page.goto(t.url('/m/records'));
  assert.ok((await page.locator('main').innerText()).includes(company.name));
  assert.deepEqual(await t.checkForms(page), []);
  await page.goto(t.url('/m/warnings'));
  assert.deepEqual(await t.checkForms(page), []);
  await shot(t, page, 'mobile-warnings');
}, { timeout: 120_000 });

// 预警处置 on the phone: the company signs for and feeds back on the `open` red
// warning on the base system's phone page (company accounts never reach the
// portal), then the county regulator verifies it with one tap. The warning
// stays open (step 已核查), as README.md says.
test('县级监管人员在手机上一键核查预警', async (t) => {
  const w = env.warnings.open;
  const company = await t.newPage(phone);
  await loginCompany(company, 'company2', `/e/m/warnings/${w.id}`);
  await companyAct(company, '签收');
  await companyAct(company, '处置反馈', '已关闭泄漏点阀门，现场通风');
  assert.match(await company.locator('#step').innerText(), /等待监管部门核查/);

  const page = await t.newPage(phone);
  await loginOnPhone(t, page, 'county');
  await page.goto(t.url('/m/warnings'));
  const item = page.locator('li', { has: page.locator(`.actions[data-warning="${w.id}"]`) });
  assert.match(await item.innerText(), /已反馈，待核查/);
  assert.equal(await page.locator('main li').first().locator(`.actions[data-warning="${w.id}"]`).count(), 1,
    'the warning waiting for the county comes first');
  assert.deepEqual(await t.checkForms(page), []);
  await shot(t, page, 'mobile-warning-verify');
  await item.getByRole('button', { name: '核查' }).click();
  await page.locator('#act-result').filter({ hasText: '核查成功' }).waitFor();
  await page.waitForLoadState('load');
  await page.locator(`.actions[data-warning="${w.id}"]`).waitFor();
  await page.waitForFunction((id) => {
    const li = document.querySelector(`.actions[data-warning="${id}"]`)?.closest('li');
    return li && li.textContent.includes('已核查');
  }, w.id);
  assert.equal(await page.locator(`.actions[data-warning="${w.id}"] button[data-action="verify"]`).count(), 0);
});

// A shared phone: the pages the service worker kept for one inspector are not
// shown offline to the next one — after a logout, or when the session ended
// without one (expired, revoked) and someone else logged in.
test('共用手机：退出或登录过期后，离线不再显示上一位用户的页面', async (t) => {
  const page = await t.newPage(phone);
  const context = page.context();
  const offlinePatrol = async () => {
    await context.setOffline(true);
    await page.waitForFunction(() => !navigator.onLine);
    await page.goto(t.url('/m/patrol'));
    const text = await page.locator('main').innerText();
    await backOnline(page);
    return text;
  };
  const seesPatrolOf = async () => {
    await loginOnPhone(t, page, 'inspector');
    // The worker takes control once it has installed (its install fetches the shell
    // from the server) and activated: on a loaded CI run that took longer than
    // waitForFunction's 10 s (2026-12-06), so wait for it to be active. Then load the
    // patrol list: a page whose navigation began before the worker activated can miss
    // its clients.claim() and stay uncontrolled (2026-12-07, a CI run where the login's
    // page never got a controller), but every navigation after activation goes
    // through the worker, as a user's next page does.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.goto(t.url('/m/patrol'));
    await page.waitForFunction(() => navigator.serviceWorker.controller, null, { timeout: 30000 });
    assert.ok((await page.locator('main').innerText()).includes(mine.companies[0].name));
  };

  t.step('opened before, kept for offline use');
  await seesPatrolOf();
  assert.ok((await offlinePatrol()).includes(mine.companies[0].name), 'the cached patrol list');

  t.step('退出登录 drops it');
  await page.goto(t.url('/m/'));
  await Promise.all([page.waitForURL(/\/m\/login/), page.getByRole('button', { name: '退出登录' }).click()]);
  let text = await offlinePatrol();
  assert.ok(!text.includes(mine.companies[0].name), 'the logged-out inspector\'s page is shown offline');
  assert.match(text, /当前没有网络/);

  t.step('a session that ends without a logout, then another user');
  await seesPatrolOf();
  await context.clearCookies(); // the session expired
  await page.goto(t.url('/m/'));
  await page.waitForURL(/\/m\/login/);
  await loginOnPhone(t, page, 'otherCounty');
  text = await offlinePatrol();
  for (const c of mine.companies) { assert.ok(!text.includes(c.name), `${other.name}'s user is shown ${c.name} from the cache`); }
  assert.match(text, /当前没有网络/);
});

// Bad reception, online: a second form saved while the first is still being
// sent goes out right after it, not only at the next page or reconnect.
test('发送中再保存的第二条记录随后自动发送', async (t) => {
  const page = await t.newPage({ ...phone, serviceWorkers: 'block' });
  await loginOnPhone(t, page, 'inspector');
  const company = mine.companies[0];
  await page.goto(t.url(`/m/supervise/${company.code}`));
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let first = true;
  let seen;
  const posted = new Promise((resolve) => { seen = resolve; });
  await page.route('**/m/records', async (route) => {
    if (route.request().method() === 'POST' && first) {
      first = false;
      seen();
      await held; // the slow network
    }
    await route.continue();
  });
  await page.getByLabel(/^检查情况/).fill(`第一条 ${Date.now()}`);
  await page.getByRole('button', { name: '保存记录' }).click();
  await posted;
  await page.getByLabel(/^检查情况/).fill(`第二条 ${Date.now()}`);
  await page.getByRole('button', { name: '保存记录' }).click();
  await page.locator('#outbox-summary').filter({ hasText: '本机有 2 条记录待发送' }).waitFor();
  release();
  await page.locator('#outbox').waitFor({ state: 'hidden', timeout: 10_000 });
  assert.equal(await page.locator('#outbox-summary').innerText(), '');
});
