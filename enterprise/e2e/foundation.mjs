// The base system's foundation in Debian's headless Chromium, driven from
// enterprise/e2e_test.go (CHEMGUARD_E2E_ENV names the platform and the
// company). Login by keyboard; the company administrator creates a
// department, a post and an employee; the employee's first login changes the
// password; the inbox shows a notice. Screenshots go to docs/screenshots/.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { chromiumArgs } from '../../web/browsertest/chromium.mjs';

const env = JSON.parse(process.env.CHEMGUARD_E2E_ENV);
const { chromium } = createRequire(join(env.modules, 'x.js'))('playwright-core');
const url = (p) => env.baseURL + p;
const shot = (page, name) => env.shots && page.screenshot({ path: join(env.shots, `base-system-${name}.png`), fullPage: true });

async function keyboardLogin(page, username, password) {
  await page.goto(url('/e/login'));
  // The username field has focus (autofocus); on a loaded machine the page can take
  // keys before autofocus lands, so wait for it. Everything else by Tab and Enter.
  await page.locator('#username:focus').waitFor();
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/e/login', { timeout: 60_000 }), page.keyboard.press('Enter')]);
}

const browser = await chromium.launch({ executablePath: env.chromium, args: [...chromiumArgs, '--lang=zh-CN'] });
try {
  const admin = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
  await admin.goto(url('/e/login'));
  await shot(admin, 'login');
  await keyboardLogin(admin, env.admin, env.password);
  assert.equal(new URL(admin.url()).pathname, '/e/');
  await shot(admin, 'home');

  await admin.goto(url('/e/admin/departments'));
  await admin.getByLabel('部门名称').fill('储运部');
  await Promise.all([admin.waitForNavigation(), admin.getByRole('button', { name: '新增部门' }).click()]);
  await admin.getByLabel('所属部门').selectOption({ label: '储运部' });
  await admin.getByLabel('岗位名称').fill('装卸工');
  await Promise.all([admin.waitForNavigation(), admin.getByRole('button', { name: '新增岗位' }).click()]);
  assert.match(await admin.locator('main').innerText(), /装卸工/);
  await shot(admin, 'departments');

  await admin.goto(url('/e/admin/accounts'));
  await admin.getByLabel('用户名').fill('zhang_san');
  await admin.getByLabel('姓名').fill('张三');
  await admin.getByLabel('初始密码').fill('Chushi#Mima2026x');
  await admin.getByLabel('角色').selectOption({ label: '岗位员工' });
  await admin.getByLabel('部门').selectOption({ label: '储运部' });
  await admin.getByLabel('装卸工').check();
  await Promise.all([admin.waitForNavigation(), admin.getByRole('button', { name: '创建账号' }).click()]);
  assert.match(await admin.locator('main').innerText(), /账号「zhang_san」已创建/);
  await shot(admin, 'accounts');
  await admin.goto(url('/e/exchange'));
  await shot(admin, 'exchange');

  // 风险预警: the company signs for its own warning in /e (the 企业管理员 is a handler).
  await admin.goto(url('/e/warnings'));
  await admin.locator(`a[href="/e/warnings/${env.warning}"]`).first().waitFor();
  await shot(admin, 'warnings');
  await admin.goto(url('/e/warnings/' + env.warning));
  await admin.getByLabel('操作').selectOption({ label: '签收' });
  await Promise.all([admin.waitForNavigation(), admin.getByRole('button', { name: '提交' }).click()]);
  assert.match(await admin.locator('main').innerText(), /已提交/);
  await shot(admin, 'warning');
  // 群机器人: the company's own IM group for urgent notices.
  await admin.goto(url('/e/admin/im'));
  await admin.locator('#im-none').waitFor();
  await shot(admin, 'im');

  const emp = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true });
  await keyboardLogin(emp, 'zhang_san', 'Chushi#Mima2026x');
  assert.equal(new URL(emp.url()).pathname, '/e/account', 'the first login goes to the password change');
  assert.match(await emp.locator('main').innerText(), /请先修改密码/);
  await shot(emp, 'first-login');
  await emp.getByLabel('当前密码').first().fill('Chushi#Mima2026x');
  await emp.getByLabel('新密码', { exact: true }).fill('Zhang#San2026abc');
  await emp.getByLabel('再次输入新密码').fill('Zhang#San2026abc');
  await Promise.all([emp.waitForNavigation(), emp.getByRole('button', { name: '修改密码' }).click()]);
  assert.match(await emp.locator('main').innerText(), /密码已修改/);

  // The Go side sends the employee a notice once the account exists.
  const r = await fetch(env.notifyURL, { method: 'POST' });
  assert.equal(r.status, 204);
  await emp.goto(url('/e/m/'));
  await emp.goto(url('/e/m/inbox'));
  assert.match(await emp.locator('main').innerText(), /今日排查任务/);
  assert.equal(await emp.locator('nav.tabs .badge').innerText(), '1');
  await shot(emp, 'phone-inbox');
  // The same warning on the phone, signed for, waiting for the company's 处置反馈.
  await emp.goto(url('/e/m/warnings'));
  await emp.locator(`a[href="/e/m/warnings/${env.warning}"]`).first().waitFor();
  await shot(emp, 'phone-warnings');
  await emp.goto(url('/e/m/warnings/' + env.warning));
  await shot(emp, 'phone-warning');
  const manifest = await (await fetch(url('/e/m/manifest.webmanifest'))).json();
  assert.equal(manifest.scope, '/e/m/');
  console.log('ok: foundation browser test');
} finally {
  await browser.close();
}
