// Issue 15's end-to-end flow in Chromium, run by TestEndToEnd (flow_test.go),
// which starts the real platform and passes CHEMGUARD_E2E_ENV. Phase
// "company": the administrator builds the 风险分级管控及隐患排查清单 and
// generates tasks; an employee on a phone opens the unit by its QR URL and
// records a check that finds a hidden danger with a photo; the 安全管理员
// assigns it, the rectifier closes it on his phone, the 安全管理员 accepts it.
// It prints {"unit", "danger"}. Phase "portal": the regulator's pages, for the
// screenshots (the test asserts their figures itself).
import assert from 'node:assert/strict';
import { context, env, launch, shooter, url } from '../../../web/browsertest/harness.mjs';

const browser = await launch();
const shot = shooter(env.shots, '');
// Phone pages at twice the density: the docs show these screenshots.
const open = (phone) => context(browser, phone, phone ? { deviceScaleFactor: 2 } : {});
const as = async (who, phone) => {
  const ctx = await open(phone);
  await ctx.addCookies([{ name: who.name, value: who.value, url: env.baseURL }]);
  return ctx.newPage();
};
const submit = async (page, button, to) => {
  await Promise.all([page.waitForURL(to), page.getByRole('button', { name: button }).click()]);
};

async function company() {
  // 1. The administrator logs in and builds the list.
  const admin = await (await open(false)).newPage();
  await admin.goto(url('/e/login'));
  await admin.locator('input[name="username"]').fill(env.admin);
  await admin.locator('input[name="password"]').fill(env.password);
  await shot(admin, 'e2e-1-login');
  await Promise.all([admin.waitForURL((u) => !u.pathname.startsWith('/e/login')), admin.locator('input[name="password"]').press('Enter')]);
  await admin.goto(url('/e/dp/units/new'));
  await admin.locator('select[name="object_kind"]').selectOption({ index: 0 });
  await admin.locator('select[name="hazard_code"]').selectOption(env.hazard);
  await admin.locator('select[name="department_id"]').selectOption({ label: env.department });
  await admin.locator('select[name="liable_user_id"]').selectOption({ index: 1 });
  await admin.locator('input[name="name"]').fill('液氨储罐区 2 号罐组');
  await shot(admin, 'e2e-1-unit');
  await submit(admin, '保存', /\/e\/dp(\?|$|#)/);
  const unitBox = admin.locator('section.unit', { hasText: '液氨储罐区 2 号罐组' });
  const unit = (await unitBox.getAttribute('id')).replace(/^unit-/, '');
  await unitBox.getByRole('link', { name: '新增风险事件' }).click();
  await admin.locator('input[name="name"]').fill('液氨泄漏中毒');
  await admin.locator('select[name="level"]').selectOption('2');
  await submit(admin, '保存', /\/e\/dp(\?|$|#)/);
  await admin.getByRole('link', { name: '新增措施' }).first().click();
  await admin.locator('select[name="control_mode"]').selectOption('2');
  await admin.locator('select[name="class1"]').selectOption('1');
  await admin.locator('select[name="class2"]').selectOption('1-4');
  await admin.locator('textarea[name="description"]').fill('储罐液位高高联锁');
  await admin.locator('textarea[name="content"]').fill('检查液位计显示与高高液位联锁投用情况');
  await admin.locator('select[name="post_id"]').selectOption(String(env.post));
  await admin.locator('input[name="cycle_n"]').fill('1');
  await admin.locator('select[name="cycle_unit"]').selectOption('天');
  await shot(admin, 'e2e-1-measure');
  await submit(admin, '保存', /\/e\/dp(\?|$|#)/);
  await admin.getByText('检查液位计显示与高高液位联锁投用情况').waitFor();
  await shot(admin, 'e2e-1-list');
  await admin.goto(url('/e/dp/tasks'));
  await submit(admin, '生成 / 更新任务', /\/e\/dp\/tasks/);
  await admin.locator('#tasks tbody tr', { hasText: '液氨储罐区 2 号罐组' }).waitFor();
  await shot(admin, 'e2e-1-tasks');

  // 2. The employee scans the unit's QR code on his phone and finds a danger.
  const worker = await as(env.worker, true);
  await worker.goto(url('/e/m/units/' + unit));
  await worker.getByText('检查液位计显示与高高液位联锁投用情况').waitFor();
  await shot(worker, 'e2e-2-unit');
  await worker.getByRole('link', { name: '记录排查' }).first().click();
  await worker.waitForURL(/\/check$/);
  await worker.getByLabel('存在隐患').check();
  await worker.getByLabel('排查情况说明').fill('2 号罐液位计读数与现场不符');
  await worker.getByLabel('隐患名称').fill('液位计失准');
  await worker.getByLabel('隐患描述').fill('2 号储罐远传液位计与现场玻璃板液位计偏差约 15%');
  await worker.locator('input[name="photos"]').setInputFiles(env.photo);
  await shot(worker, 'e2e-2-check');
  await worker.getByRole('button', { name: '提交' }).click();
  await worker.locator('#net').getByText('已发送').waitFor({ timeout: 30_000 });
  await shot(worker, 'e2e-2-sent');

  // 3. The 安全管理员 assigns it to the rectifier …
  const safety = await as(env.safety, false);
  await safety.goto(url('/e/dangers'));
  await Promise.all([safety.waitForURL(/\/e\/dangers\/[0-9a-f-]{36}/), safety.getByText('液位计失准').first().click()]);
  const danger = safety.url().match(/dangers\/([0-9a-f-]{36})/)[1];
  await safety.selectOption('form[action$="/assign"] select[name=liable]', { label: env.liable });
  await safety.fill('form[action$="/assign"] input[name=deadline]', env.deadline);
  await Promise.all([safety.waitForURL(/saved=1/), safety.click('form[action$="/assign"] button[type=submit]')]);
  assert.match(await safety.textContent('main'), /整改中/);
  // … who fills in the rectification on his phone …
  const fixer = await as(env.rectifier, true);
  await fixer.goto(url('/e/m/dangers'));
  await shot(fixer, 'e2e-3-mine');
  await Promise.all([fixer.waitForURL(/\/e\/m\/dangers\/[0-9a-f-]{36}/), fixer.getByText('液位计失准').first().click()]);
  await fixer.fill('textarea[name=rectification]', '更换远传液位计变送器并校准，联锁试验合格');
  await fixer.fill('input[name=funds]', '3200');
  await fixer.setInputFiles('form[action$="/rectify"] input[name=photos]', env.photo);
  await shot(fixer, 'e2e-3-rectify');
  // The phone pages send forms through the foundation's offline queue.
  await fixer.click('form[action$="/rectify"] button[type=submit]');
  await fixer.locator('#net').getByText('已发送').waitFor({ timeout: 30_000 });
  await fixer.goto(url('/e/m/dangers/' + danger));
  assert.match(await fixer.textContent('main'), /待验收/);
  await shot(fixer, 'e2e-3-rectified');
  // … and the 安全管理员 accepts it.
  await safety.goto(url('/e/dangers/' + danger));
  await safety.fill('form[action$="/accept"] textarea[name=comment]', '现场复查，液位计与玻璃板读数一致，联锁投用');
  await Promise.all([safety.waitForURL(/saved=1/), safety.click('form[action$="/accept"] button[type=submit]')]);
  const accepted = await safety.textContent('main');
  assert.match(accepted, /已验收/);
  assert.ok(accepted.replace(/\s+/g, '').includes('排查人员' + env.workerName), "the check's maker is the 排查人员");
  await shot(safety, 'e2e-3-accepted');
  console.log(JSON.stringify({ unit, danger }));
}

async function portal() {
  const reg = await as(env.regulator, false);
  for (const [name, path] of [['e2e-4-company', '/portal/companies/' + env.company],
    ['e2e-4-dual', '/portal/dual?region=' + env.county],
    ['portal-rollout', '/portal/rollout'], ['portal-rollout-company', '/portal/rollout/companies/' + env.company],
    ['portal-dual', '/portal/dual'], ['portal-statistics-alarms', '/portal/statistics/alarms']]) {
    const r = await reg.goto(url(path));
    assert.equal(r.status(), 200, path);
    await reg.locator('main').waitFor();
    await shot(reg, name);
  }
  console.log('{}');
}

try {
  await (env.phase === 'portal' ? portal() : company());
} finally {
  await browser.close();
}
