// 系统管理, 审计 and the 综合分析 map drill-down in the browser (issue 7 item 1).
import assert from 'node:assert/strict';
import { test, env, user } from './harness.mjs';

const [mine] = env.counties || [];
const cityCode = mine ? mine.code.slice(0, 4) + '00' : '';

// The chart's option as echarts holds it (the map is a canvas).
const chartOption = (page, id) => page.evaluate((elId) => {
  const el = document.getElementById(elId);
  const chart = el && window.echarts && window.echarts.getInstanceByDom(el);
  if (!chart) { return null; }
  const o = chart.getOption();
  return { geo: (o.geo || []).map((g) => g.map), series: o.series.map((s) => ({ type: s.type, map: s.map, data: s.data.length })) };
}, id);

// clickMap clicks the map in element id at [lon, lat] as a person would: the
// pointer moves there (echarts finds the region under it on the move), then clicks.
async function clickMap(page, id, coord, urlWanted) {
  const el = page.locator('#' + id);
  await el.scrollIntoViewIfNeeded();
  const box = await el.boundingBox();
  const at = await page.evaluate(([elId, c]) => window.echarts.getInstanceByDom(document.getElementById(elId))
    .convertToPixel({ seriesIndex: 0 }, c), [id, coord]);
  await page.mouse.move(box.x + at[0], box.y + at[1], { steps: 5 });
  await page.waitForTimeout(300);
  await Promise.all([page.waitForURL(urlWanted), page.mouse.down().then(() => page.mouse.up())]);
}

test('综合分析地图下钻：省 → 市各区县 → 区县企业分布', async (t) => {
  const { page } = t;
  await t.login(page, 'city', '/portal/');
  await page.locator('#city-map canvas').first().waitFor();
  // 下钻 by clicking the city on the province map …
  await clickMap(page, 'city-map', [117.12, 36.65], (u) => u.search === `?region=${cityCode}`); // 济南市区
  await page.locator('#drill-map canvas').first().waitFor();
  const city = await chartOption(page, 'drill-map');
  assert.equal(city.series[0].map, `city-${cityCode}`);
  assert.ok(city.series[0].data >= 1, 'the counties the user reaches are coloured');
  assert.match(await page.locator('#drill').innerText(), new RegExp(`${mine.cityName}各区县`));
  await t.shot(page, 'map-city-counties');

  // … then the county on the city's county map, at the middle of its boundary.
  const inside = await page.evaluate(async ([city, county]) => {
    const geo = await (await fetch(`/portal/static/counties/${city}.json`)).json();
    const ring = geo.features.find((f) => f.properties.code === county).geometry.coordinates[0][0];
    return [0, 1].map((i) => ring.reduce((s, p) => s + p[i], 0) / ring.length);
  }, [cityCode, mine.code]);
  await clickMap(page, 'drill-map', inside, (u) => u.search === `?region=${mine.code}`);
  await page.locator('#drill-map canvas').first().waitFor();
  const county = await chartOption(page, 'drill-map');
  assert.deepEqual(county.geo, [`county-${mine.code}`]);
  const rows = await page.locator('#county-companies tbody tr').count();
  assert.equal(rows, mine.companies.length);
  const unplaced = await page.locator('#county-companies tbody td:text-is("—")').count();
  assert.equal(county.series[0].data, rows - unplaced / 2, 'every company with coordinates is plotted');
  for (const c of mine.companies) {
    await page.locator('#county-companies').getByRole('link', { name: c.name }).waitFor();
  }
  assert.deepEqual(await t.checkForms(page), []);
  await t.shot(page, 'map-county-companies');
}, { timeout: 90_000 });

test('安全管理员在系统管理中创建账号并授予角色', async (t) => {
  const { page } = t;
  await t.login(page, 'security', '/portal/admin/users');
  await page.getByRole('heading', { level: 1, name: /用户与角色/ }).waitFor();
  assert.deepEqual(await t.checkForms(page), []);
  const name = `e2e_new_${Date.now() % 100000}`;
  await page.getByLabel(/^用户名（/).fill(name);
  await page.getByLabel('姓名', { exact: true }).fill('浏览器测试新人');
  await page.getByLabel(/^初始密码/).fill('Chemguard-2026!');
  await page.getByLabel('角色', { exact: true }).selectOption('county_staff');
  await page.getByLabel(/^所属区划/).fill(mine.code);
  await Promise.all([
    page.waitForURL((u) => u.pathname === `/portal/admin/users/${name}`),
    page.getByRole('button', { name: '创建' }).click(),
  ]);
  assert.match(await page.locator('.notice').innerText(), /账号已创建/);
  // 授予 with the keyboard: choose in the select, Tab to 授予, Enter.
  await page.getByLabel('授予角色').selectOption('county_leader');
  await page.getByLabel('授予角色').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), '授予');
  await Promise.all([page.waitForURL(/ok=granted/), page.keyboard.press('Enter')]);
  assert.match(await page.locator('#grants').innerText(), /县级监管领导/);
  assert.deepEqual(await t.checkForms(page), []);
  await t.shot(page, 'admin-user');
  // The new account's owner must replace the password its creator typed before
  // anything else: the portal sends it to 账号安全 and lets it in once changed.
  const owner = await t.newPage();
  await owner.goto(t.url('/portal/login?next=%2Fportal%2F'));
  await owner.getByLabel('用户名').fill(name);
  await owner.getByLabel('密码', { exact: true }).fill('Chemguard-2026!');
  await Promise.all([owner.waitForURL((u) => u.pathname === '/portal/account'),
    owner.getByRole('button', { name: '登录' }).click()]);
  await owner.getByText('请先修改密码').first().waitFor();
  assert.deepEqual(await t.checkForms(owner), []);
  await owner.getByLabel('当前密码').fill('Chemguard-2026!');
  await owner.getByLabel(/^新密码/).fill('Hx7$kQ9mZ2-e2e');
  await owner.getByLabel('再次输入新密码').fill('Hx7$kQ9mZ2-e2e');
  await Promise.all([owner.waitForURL(/ok=password/), owner.getByRole('button', { name: '修改密码' }).click()]);
  await Promise.all([owner.waitForURL((u) => u.pathname === '/portal/'), owner.goto(t.url('/portal/'))]);
  await t.shot(owner, 'account');
  // 三员分立: no administrator role is offered, and the auditor cannot be given a business role.
  await page.goto(t.url(`/portal/admin/users/${user('auditor').username}`));
  assert.equal(await page.locator('#grant-role option[value="system_admin"]').count(), 0);
  await page.getByLabel('授予角色').selectOption('province_staff');
  const [resp] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: '授予' }).click()]);
  assert.equal(resp.status(), 403);
  await page.getByText('三员分立').first().waitFor();
}, { timeout: 90_000 });

test('审计管理员查阅并校验审计日志', async (t) => {
  const { page } = t;
  await t.login(page, 'auditor', '/portal/audit');
  await page.getByRole('heading', { level: 1, name: '审计日志' }).waitFor();
  assert.deepEqual(await t.checkForms(page), []);
  await page.getByLabel('操作', { exact: true }).selectOption('login');
  await Promise.all([page.waitForURL(/action=login/), page.getByRole('button', { name: '查询' }).click()]);
  const actions = await page.locator('#audit tbody tr td:nth-child(6)').allInnerTexts();
  assert.ok(actions.length > 0 && actions.every((a) => a === '登录'), actions.join(','));
  await Promise.all([page.waitForURL(/\/portal\/audit\/verify/), page.getByRole('link', { name: '校验哈希链' }).click()]);
  assert.match(await page.locator('#verify-result').innerText(), /哈希链完整/);
  await t.shot(page, 'audit');
  assert.equal(await page.locator('nav.nav a[href="/portal/admin"]').count(), 0, '审计管理员 has no 系统管理');
});
