// The ledger's browser test (run by TestBrowserRegisterRectifyAccept): on a
// phone-sized page a worker registers a hidden danger with a photo, the
// 安全管理员 assigns it, the rectifier closes it with a photo on his phone, and
// the 安全管理员 accepts it on the PC. Each person is a browser context whose
// requests carry the test's member header.
const assert = require('node:assert/strict');
const path = require('node:path');
const { chromium } = require('playwright-core');

const env = JSON.parse(process.env.CHEMGUARD_E2E_ENV);
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' };
const pc = { viewport: { width: 1280, height: 900 }, locale: 'zh-CN' };

async function as(browser, member, opts) {
  const ctx = await browser.newContext({ ...opts, extraHTTPHeaders: { 'X-Test-Member': member } });
  return ctx.newPage();
}

async function shot(page, name) {
  if (env.screenshots) await page.screenshot({ path: path.join(env.screenshots, name + '.png'), fullPage: true });
}

(async () => {
  const browser = await chromium.launch({ executablePath: env.chromium, args: ['--no-sandbox'] });
  try {
    // 1. The worker scans the unit's QR code: the check page opens the form bound to the unit.
    const worker = await as(browser, 'worker', phone);
    await worker.goto(env.baseURL + '/e/m/dangers/new?hazard_code=370102100001&place=' + encodeURIComponent('液氨储罐区'));
    assert.equal(await worker.inputValue('input[name=hazard_code]'), '370102100001');
    await worker.fill('input[name=name]', '2 号罐法兰泄漏');
    await worker.fill('textarea[name=description]', '液氨储罐区 2 号罐出口法兰有氨味，试纸变色');
    await worker.selectOption('select[name=type]', '7');
    await worker.setInputFiles('input[name=photos]', env.photo);
    await shot(worker, 'dangers-phone-register');
    await Promise.all([worker.waitForURL(/\/e\/m\/dangers\/[0-9a-f-]{36}/), worker.click('form[action="/e/m/dangers"] button[type=submit]')]);
    const id = worker.url().match(/dangers\/([0-9a-f-]{36})/)[1];
    assert.match(await worker.textContent('main'), /待分派/);

    // 2. The 安全管理员 assigns it on the PC.
    const safety = await as(browser, 'safety', pc);
    await safety.goto(env.baseURL + '/e/dangers');
    assert.match(await safety.textContent('main'), /2 号罐法兰泄漏/);
    await shot(safety, 'dangers-ledger');
    await safety.goto(env.baseURL + '/e/dangers/' + id);
    await safety.selectOption('form[action$="/assign"] select[name=liable]', { label: '赵师傅' });
    await safety.fill('form[action$="/assign"] input[name=deadline]', '2026-12-10');
    await Promise.all([safety.waitForURL(/saved=1/), safety.click('form[action$="/assign"] button[type=submit]')]);
    assert.match(await safety.textContent('main'), /整改中/);

    // 3. The rectifier finds it in 我的整改 and closes it with a photo.
    const fixer = await as(browser, 'fixer', phone);
    await fixer.goto(env.baseURL + '/e/m/dangers');
    await shot(fixer, 'dangers-phone-mine');
    await Promise.all([fixer.waitForURL(/\/e\/m\/dangers\/[0-9a-f-]{36}/), fixer.click('text=2 号罐法兰泄漏')]);
    await fixer.fill('textarea[name=rectification]', '更换法兰垫片，试压 1.6 MPa 合格');
    await fixer.fill('input[name=funds]', '800');
    await fixer.setInputFiles('form[action$="/rectify"] input[name=photos]', env.photo);
    await shot(fixer, 'dangers-phone-rectify');
    await Promise.all([fixer.waitForURL(/saved=1/), fixer.click('form[action$="/rectify"] button[type=submit]')]);
    assert.match(await fixer.textContent('main'), /待验收/);

    // 4. The 安全管理员 accepts it.
    await safety.goto(env.baseURL + '/e/dangers/' + id);
    await safety.fill('form[action$="/accept"] textarea[name=comment]', '现场复查合格');
    await Promise.all([safety.waitForURL(/saved=1/), safety.click('form[action$="/accept"] button[type=submit]')]);
    const text = await safety.textContent('main');
    assert.match(text, /已验收/);
    assert.match(text, /现场复查合格/);
    assert.equal(await safety.locator('.history img').count(), 2, 'the photo of the report and of the rectification');
    await shot(safety, 'dangers-detail');
    await safety.goto(env.baseURL + '/e/dangers/stats');
    await shot(safety, 'dangers-stats');
    process.stdout.write(JSON.stringify({ id }) + '\n');
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
