// 加油站视频 must-show, in Chromium: the 安全管理员 opens the 抽烟 alarm an AI
// box posted (image, recording link) and assigns it; the attendant handles
// it on a phone-sized page with a note and a photo; the 安全管理员 confirms
// it. Run by TestGasStationSmokingAlarm (video_test.go).
import assert from 'node:assert/strict';
import { context, env, launch, shooter, url } from '../../../web/browsertest/harness.mjs';

const browser = await launch();
const shot = shooter(env.shots, 'video-');
const as = async (who, phone) => {
  const ctx = await context(browser, phone);
  await ctx.addCookies([{ name: who.name, value: who.value, url: env.baseURL }]);
  return ctx.newPage();
};

try {
  // The 安全管理员 at the PC: the alarm list, the alarm with its image and recording.
  const pc = await as(env.safety, false);
  await pc.goto(url('/e/video'));
  const row = pc.locator('tr', { hasText: '抽烟' });
  await assert.doesNotReject(row.waitFor());
  await row.getByRole('link').click();
  await pc.waitForURL('**/e/video/alarms/' + env.alarm);
  await pc.getByRole('img', { name: '报警时图片' }).waitFor();
  assert.ok(await pc.getByRole('img', { name: '报警时图片' }).evaluate((i) => i.complete && i.naturalWidth > 0), 'the alarm image loads');
  const rec = await pc.getByRole('link', { name: '查看报警时段录像' }).getAttribute('href');
  assert.match(rec, /^https:\/\/vms\.example\.cn\/playback\?ch=37010290101320000001&from=.+&to=.+/);
  await pc.getByLabel('处置人').selectOption({ label: env.staffName });
  await shot(pc, 'alarm');
  await pc.getByRole('button', { name: '派发' }).click();
  await pc.locator('#state', { hasText: '已派发' }).waitFor();

  // The attendant on the phone.
  const phone = await as(env.staff, true);
  await phone.goto(url('/e/m/video'));
  await phone.getByRole('link', { name: /抽烟/ }).click();
  await phone.getByLabel('处置情况').fill('已到 1 号加油岛制止吸烟，人员已离开加油区，现场无火源');
  await phone.getByLabel('现场照片').setInputFiles(env.photo);
  await shot(phone, 'phone');
  await phone.getByRole('button', { name: '提交处置' }).click();
  await phone.locator('#state', { hasText: '已处置待确认' }).waitFor();

  // The 安全管理员 confirms: the loop is closed.
  await pc.reload();
  await pc.getByRole('img', { name: '处置照片' }).waitFor();
  await pc.getByRole('button', { name: '确认闭环' }).click();
  await pc.locator('#state', { hasText: '已闭环' }).waitFor();
  await shot(pc, 'confirmed');
  await pc.goto(url('/e/video/devices'));
  await pc.getByText('在线').first().waitFor();
  await shot(pc, 'devices');
  console.log(JSON.stringify({ ok: true }));
} finally {
  await browser.close();
}
