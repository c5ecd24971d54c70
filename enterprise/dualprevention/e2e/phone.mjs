// The 双重预防 phone flow in Chromium at a phone's size: open a unit by its QR
// code's URL, record a check that finds a hidden danger with a photo. With
// env.screenshots set it also saves every page of the module there.
// Run by TestBrowserPhoneFlow (browser_test.go), which starts the module and
// passes CHEMGUARD_E2E_ENV; playwright-core comes from portal/e2e.
import assert from 'node:assert/strict';
import { context, env, launch, shooter, url } from '../../../web/browsertest/harness.mjs';

const browser = await launch();
const shot = shooter(env.screenshots, 'dp-');
const as = async (who, phone) => {
  const ctx = await context(browser, phone);
  await ctx.addCookies([{ name: who.name, value: who.value, url: env.baseURL }]);
  return ctx.newPage();
};

try {
  // The phone: the QR code on the tank farm holds the unit's URL.
  const page = await as(env.worker, true);
  await page.goto(url('/e/m/dp'));
  await assert.doesNotReject(page.getByText(env.unitName).first().waitFor());
  await shot(page, 'm-tasks');
  await page.goto(url('/e/m/dp/scan'));
  await page.locator('input[name="code"]').waitFor();
  await shot(page, 'm-scan');
  // The real scan: a Chromium whose camera films the unit's printed QR code
  // (a Y4M video the Go test made from the label's image). Headless Chromium
  // on Linux has no BarcodeDetector, so this is the vendored jsQR decoding.
  {
    const camera = await launch(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--use-file-for-fake-video-capture=' + env.qrVideo]);
    try {
      const ctx = await context(camera, true, { permissions: ['camera'] });
      await ctx.addCookies([{ name: env.worker.name, value: env.worker.value, url: env.baseURL }]);
      const scan = await ctx.newPage();
      await scan.goto(url('/e/m/dp/scan'));
      assert.equal(await scan.evaluate(() => 'BarcodeDetector' in window), false, 'the fallback decoder is what scans');
      await scan.getByRole('button', { name: '打开摄像头扫码' }).click();
      await scan.waitForURL((u) => u.pathname === '/e/m/units/' + env.unitID, { timeout: 60_000 });
      await scan.getByText('检查液位计显示与联锁投用情况').waitFor();
    } finally {
      await camera.close();
    }
  }
  await page.goto(env.qrURL);
  assert.equal(new URL(page.url()).pathname, '/e/m/units/' + env.unitID);
  await page.getByText('检查液位计显示与联锁投用情况').waitFor();
  await shot(page, 'm-unit');
  await page.getByRole('link', { name: '记录排查' }).first().click();
  await page.waitForURL(/\/check$/);
  assert.equal(await page.locator('#danger').isHidden(), true, 'the danger fields wait for 存在隐患');
  await page.getByLabel('存在隐患').check();
  assert.equal(await page.locator('#danger').isVisible(), true);
  await page.getByLabel('排查情况说明').fill('2号罐液位计读数与现场不符');
  await page.getByLabel('隐患名称').fill('液位计失准');
  await page.getByLabel('隐患描述').fill('2号储罐远传液位计与现场玻璃板液位计偏差约 15%');
  await page.locator('input[name="photos"]').setInputFiles({ name: 'tank.png', mimeType: 'image/png',
    buffer: Buffer.from(env.photo, 'base64') });
  await shot(page, 'm-check');
  await page.getByRole('button', { name: '提交' }).click();
  // The form goes through the foundation's offline queue: stored on the
  // phone, sent, and the queue says so.
  await page.locator('#net').getByText('已发送').waitFor({ timeout: 30_000 });
  await shot(page, 'm-sent');
  await page.goto(url('/e/m/dp'));
  await page.getByText('已排查').first().waitFor();

  // The 安全管理员 imports a file with two bad rows: nothing is imported and
  // each row's column and rule are listed.
  const pc = await as(env.safety, false);
  await pc.goto(url('/e/dp/import'));
  await pc.locator('input[name="file"]').setInputFiles({ name: '清单.xlsx',
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: Buffer.from(env.badImport, 'base64') });
  await pc.getByRole('button', { name: '导入' }).click();
  await pc.getByText('未导入任何一行').waitFor();
  const errors = await pc.locator('.problems table tbody tr').allTextContents();
  assert.ok(errors.some((r) => r.startsWith('2') && r.includes('危险源编码')), errors.join('\n'));
  assert.ok(errors.some((r) => r.startsWith('3') && r.includes('管控措施分类2')), errors.join('\n'));
  await shot(pc, 'import-errors');

  if (env.screenshots) {
    for (const [name, path] of env.pcPages) {
      await pc.goto(url(path));
      await pc.locator('main').waitFor();
      await shot(pc, name);
    }
  }
  console.log('ok');
} finally {
  await browser.close();
}
