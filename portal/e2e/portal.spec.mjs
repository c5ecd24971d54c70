// The regulator portal in the browser: issue 7 item 3 (README.md, scenarios 1–4, 6).
import assert from 'node:assert/strict';
import { test, env, user } from './harness.mjs';

const [mine, other] = env.counties || [];

test('县级监管人员仅用键盘登录，进入综合分析', async (t) => {
  const { page } = t;
  const u = user('county');
  await page.goto(t.url('/portal/login'));
  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    return el && (el.labels?.[0]?.textContent.trim() || el.textContent.trim());
  });
  // 用户名 has autofocus; Tab walks 密码, 动态口令, 登录.
  assert.equal(await focused(), '用户名');
  await page.keyboard.type(u.username);
  await page.keyboard.press('Tab');
  assert.equal(await focused(), '密码');
  await page.keyboard.type(u.password);
  await page.keyboard.press('Tab');
  assert.match(await focused(), /^动态口令/);
  await page.keyboard.press('Tab');
  assert.equal(await focused(), '登录');
  await Promise.all([page.waitForURL(t.url('/portal/')), page.keyboard.press('Enter')]);
  await page.getByRole('heading', { level: 1, name: /综合分析/ }).waitFor();
  assert.match(await page.locator('header .who').innerText(), new RegExp(`${u.roleZH}，${mine.name}`));
});
