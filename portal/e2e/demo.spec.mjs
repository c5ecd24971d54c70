// What a first-time regulator sees of the demo: the warning's figures and factors
// in words, the plant on 企业一张图, a detector's day inside its alarm bands, and on
// the phone why a warning is not the city inspector's to act on. Screenshots for
// docs/screenshots.
import assert from 'node:assert/strict';
import { test, env } from './harness.mjs';

const [mine] = env.counties || [];

test('预警详情：风险值 0–100，因素按指标名称列出', async (t) => {
  const { page } = t;
  await t.login(page, 'county', '/portal/');
  await page.goto(t.url(`/portal/warnings/${env.warnings.open.id}`));
  const score = Number(await page.locator('#score').innerText());
  assert.ok(score >= 80 && score <= 100, `a red warning's 风险值 ${score} is on the 0–100 scale`);
  const notes = await page.locator('#factors tbody td:nth-child(5)').allInnerTexts();
  assert.ok(notes.some((n) => /号探测器/.test(n)), `factors name the detectors: ${notes}`);
  assert.ok(notes.every((n) => !/-G0\d/.test(n)), `no detector codes: ${notes}`);
  assert.doesNotMatch(await page.locator('main').innerText(), /\/api\/v1|docs\//);
  if (score === 100) { // the factors may add up to more: the page says the scale is capped
    assert.match(await page.locator('#score-cap').innerText(), /封顶 100/);
  }
  await t.shot(page, 'warning-factors');
});

test('企业一张图：厂区示意图与 24 小时趋势的报警区间', async (t) => {
  const { page } = t;
  const c = mine.companies[1];
  await t.login(page, 'county', '/portal/');
  await page.goto(t.url(`/portal/companies/${c.code}`));
  const units = page.locator('#plan .unit');
  assert.ok(await units.count() >= 3, 'the plant\'s hazard sources as blocks');
  const alarm = page.locator('#plan .pt-alarm');
  assert.ok(await alarm.count() >= 3, 'the leaking detectors stand out');
  assert.deepEqual(await t.checkForms(page), []);
  await page.evaluate(() => window.scrollTo(0, 0));
  await t.shot(page, 'company-plan', { fullPage: false });

  const link = page.locator('#plan .pt a', { hasText: '可燃气体浓度1号探测器' }).first();
  const href = await link.getAttribute('href');
  await page.goto(t.url(href));
  await page.locator('#trend canvas').first().waitFor();
  assert.match(await page.locator('#limits').innerText(), /^高报 20 %LEL；高高报 40 %LEL$/);
  const axis = await page.evaluate(() => {
    const o = window.echarts.getInstanceByDom(document.getElementById('trend')).getOption();
    return { min: o.yAxis[0].min, max: o.yAxis[0].max, bands: o.series[0].markArea.data.map((d) => d[0].name) };
  });
  assert.ok(axis.min <= 0 + 5 && axis.max >= 40, `the axis spans the thresholds: ${JSON.stringify(axis)}`);
  assert.deepEqual(axis.bands, ['高报区', '高高报区']);
  await t.shot(page, 'trend-bands');
}, { timeout: 90_000 });

test('巡查检查移动端：市级巡查人员看到县级关注的预警及原因', async (t) => {
  const page = await t.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await t.login(page, 'cityInspector', '/m/');
  await page.goto(t.url('/m/warnings'));
  const why = page.locator('#elsewhere .why').first();
  await why.waitFor();
  assert.match(await why.innerText(), /由县级关注：.*逾期未办才逐级上报到市级/);
  const tab = await page.locator('.tabs a[aria-current]').boundingBox();
  const other = await page.locator('.tabs a:not([aria-current])').first().boundingBox();
  assert.equal(tab.y, other.y, 'the active tab sits in line with the others');
  assert.equal(tab.height, other.height);
  await t.shot(page, 'mobile-warnings-why', { fullPage: false });
}, { timeout: 60_000 });

test('登录页：图标、省名、页脚在底部', async (t) => {
  const { page } = t;
  await page.goto(t.url('/portal/login'));
  const icon = await page.locator('link[rel="icon"]').getAttribute('href');
  assert.equal((await page.request.get(t.url(icon))).status(), 200);
  assert.match(await page.locator('h1').innerText(), /山东省应急管理厅/);
  const foot = await page.locator('footer').boundingBox();
  assert.ok(foot.y + foot.height >= 800 - 2, `the footer at the window's bottom (${foot.y + foot.height})`);
});
