// The regulator portal in the browser: issue 7 item 3 (README.md, scenarios 1–4, 6).
import assert from 'node:assert/strict';
import { test, env, user, loginCompany, companyAct } from './harness.mjs';

const [mine, other] = env.counties || [];

test('县级监管人员仅用键盘登录，进入综合分析', async (t) => {
  const { page } = t;
  const u = user('county');
  await page.goto(t.url('/portal/login'));
  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    return el && (el.labels?.[0]?.textContent.trim() || el.textContent.trim());
  });
  // 用户名 has autofocus; Tab walks 密码, 动态口令, 登录. Chromium applies autofocus at
  // a rendering update that can come after the load event on a loaded machine (CI saw
  // <body> focused), so wait for it — a page without autofocus still fails here.
  await page.locator('#username:focus').waitFor();
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

test('企业列表只有本县企业，他县企业无权访问', async (t) => {
  const { page } = t;
  await t.login(page, 'county', '/portal/companies');
  const codes = await page.locator('#companies tbody tr td:first-child').allInnerTexts();
  assert.deepEqual(codes.sort(), mine.companies.map((c) => c.code).sort());
  const text = await page.locator('main').innerText();
  for (const c of other.companies) {
    assert.ok(!text.includes(c.code) && !text.includes(c.name), `${c.name} (${other.name}) is listed`);
  }
  await t.shot(page, 'companies');

  t.step('searching for another county\'s company finds nothing');
  await page.getByLabel('企业名称或编码').focus();
  await page.keyboard.type(other.companies[0].code);
  await Promise.all([page.waitForURL(/[?&]q=/), page.keyboard.press('Enter')]);
  assert.equal(await page.locator('#companies tbody').innerText(), '没有符合条件的企业。');
  await page.getByLabel('企业名称或编码').fill(mine.companies[1].code);
  await Promise.all([page.waitForURL(new RegExp(`q=${mine.companies[1].code}`)), page.getByRole('button', { name: '查询' }).click()]);
  assert.deepEqual(await page.locator('#companies tbody tr td:first-child').allInnerTexts(), [mine.companies[1].code]);

  t.step('another county\'s company page is 无权访问');
  for (const path of [`/portal/companies/${other.companies[0].code}`,
    `/portal/companies/${other.companies[0].code}/indicators/${encodeURIComponent(other.companies[0].indicator)}`]) {
    const resp = await page.goto(t.url(path));
    assert.equal(resp.status(), 403, path);
    assert.equal(await page.locator('h1').innerText(), '无权访问（403）');
    assert.ok(!(await page.locator('main').innerText()).includes(other.companies[0].name));
  }
  await t.shot(page, 'forbidden');
});

test('综合分析地图绘出本市企业和预警', async (t) => {
  const { page } = t;
  await t.login(page, 'county');
  // The map is drawn: its canvas gets painted (echarts animates the first frames).
  const painted = await page.waitForFunction(() => {
    const c = document.querySelector('#city-map canvas');
    if (!c) { return false; }
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < px.length; i += 4) { if (px[i] > 0) { n++; } }
    return n / (px.length / 4) > 0.1 && n / (px.length / 4);
  }).then((h) => h.jsonValue()).catch(() => 0);
  assert.ok(painted > 0.1, 'the map canvas stays blank');
  // The map's data: only the user's own city has companies.
  const data = await page.evaluate(() => window.echarts.getInstanceByDom(document.getElementById('city-map'))
    .getOption().series[0].data.filter((d) => d.companies > 0).map((d) => ({ name: d.name, value: d.value, companies: d.companies })));
  assert.deepEqual(data.map((d) => [d.name, d.companies]), [[mine.cityName, mine.companies.length]]);
  // Its tooltip, as hovering the city shows it, matches the table under the map.
  const row = page.locator('#city-table tbody tr', { hasText: mine.cityName });
  const warnings = Number(await row.locator('td').nth(1).innerText());
  assert.ok(warnings >= 1, 'the city has open warnings');
  assert.equal(data[0].value, warnings, 'the map is coloured by each city\'s open warnings');
  // Hover the city's centre (the map file's cp) with the mouse.
  const at = await page.evaluate(async (name) => {
    const geo = await (await fetch('/portal/static/echarts/shandong.json')).json();
    const cp = geo.features.find((f) => f.properties.name === name).properties.cp;
    return window.echarts.getInstanceByDom(document.getElementById('city-map')).convertToPixel({ seriesIndex: 0 }, cp);
  }, mine.cityName);
  await page.locator('#city-map').scrollIntoViewIfNeeded();
  const box = await page.locator('#city-map').boundingBox();
  await page.mouse.move(box.x + at[0], box.y + at[1], { steps: 5 });
  await page.getByText(`${mine.cityName}：${mine.companies.length} 家企业，${warnings} 条未处置完的预警`).waitFor();
  assert.equal(await page.locator('#kpi-companies').innerText(), String(mine.companies.length));

  t.step('the province as it is today: 16 cities, 莱芜 within 济南; other cities are 无数据, not 0');
  const cities = await page.evaluate(async () => (await (await fetch('/portal/static/echarts/shandong.json')).json())
    .features.map((f) => f.properties.name));
  assert.equal(cities.length, 16);
  assert.ok(!cities.includes('莱芜市'), '莱芜市 was merged into 济南市 in 2019');
  const outside = await page.evaluate(() => window.echarts.getInstanceByDom(document.getElementById('city-map'))
    .getOption().series[0].data.filter((d) => d.outside).map((d) => d.name));
  assert.equal(outside.length, 15, 'every other city is outside the county user\'s region');
  const other = await page.evaluate(async () => {
    const geo = await (await fetch('/portal/static/echarts/shandong.json')).json();
    const cp = geo.features.find((f) => f.properties.name === '青岛市').properties.cp;
    return window.echarts.getInstanceByDom(document.getElementById('city-map')).convertToPixel({ seriesIndex: 0 }, cp);
  });
  await page.mouse.move(box.x + other[0], box.y + other[1], { steps: 5 });
  await page.getByText('青岛市：无数据（不在您的辖区）').waitFor();
  // The map is in the first screen (1280×800), not below the tables.
  const top = (await page.locator('#city-map').boundingBox()).y + await page.evaluate(() => window.scrollY);
  assert.ok(top < 400, `the map starts ${top}px down the page`);
  await page.mouse.move(box.x + at[0], box.y + at[1], { steps: 5 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await t.shot(page, 'home', { fullPage: false });

  t.step('a click on the city drills down to its counties');
  await Promise.all([page.waitForURL(/[?&]region=\d+/), page.mouse.click(box.x + at[0], box.y + at[1])]);
  const county = page.locator('#county-table tbody tr', { hasText: mine.name.slice(mine.cityName.length) });
  assert.equal(await county.locator('td').first().innerText(), String(mine.companies.length));
  await page.waitForFunction(() => window.echarts.getInstanceByDom(document.getElementById('drill-map')));
  const counties = await page.evaluate(() => window.echarts.getInstanceByDom(document.getElementById('drill-map'))
    .getOption().series[0].data.map((d) => ({ value: d.value, companies: d.companies })));
  assert.deepEqual(counties, [{ value: Number(await county.locator('td').nth(1).innerText()), companies: mine.companies.length }],
    'the counties are coloured by their open warnings');
  assert.equal(await page.locator('#county-table tbody tr').count(), 1, 'the counties with companies: the user\'s own');

  t.step('the live updates (/portal/live?region=) redraw the tables and series from the same scoped query');
  // Spoil the county's figures in the table and on the map: the next update restores them.
  const served = await county.locator('td').nth(1).innerText();
  await page.evaluate(() => {
    document.querySelector('#county-table tbody tr td:nth-of-type(2)').textContent = '-1';
    window.echarts.getInstanceByDom(document.getElementById('drill-map')).setOption({ series: [{ data: [] }] });
  });
  await page.waitForFunction((v) => {
    const chart = window.echarts.getInstanceByDom(document.getElementById('drill-map'));
    return document.querySelector('#county-table tbody tr td:nth-of-type(2)').textContent === v &&
      chart.getOption().series[0].data.length > 0;
  }, served, { timeout: 20000 });
  assert.equal(await page.locator('#county-table tbody tr').count(), 1, 'still the user\'s own county only');
  assert.equal(await county.locator('td').first().innerText(), String(mine.companies.length));
  const live = await page.evaluate(() => window.echarts.getInstanceByDom(document.getElementById('drill-map'))
    .getOption().series[0].data.map((d) => d.value));
  assert.deepEqual(live, [Number(await county.locator('td').nth(1).innerText())]);
  assert.equal(await page.locator('#city-table tbody tr').count(), 1, 'the city table: the user\'s own city only');
  assert.match(await page.locator('#city-table tbody tr a').first().getAttribute('href'), /^\/portal\/\?region=\d+#drill$/);
});

// act sends one step of the 处置操作 form as the page's user and waits for the page
// to reload with the new step in its timeline.
async function act(page, action, note) {
  await page.getByLabel('操作', { exact: true }).selectOption({ label: action });
  if (note) { await page.getByLabel('处置情况 / 核查意见').fill(note); }
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '提交' }).click()]);
  await page.locator('#events').waitFor();
}

test('模拟数据产生的红色预警在页面上完成处置流程', async (t) => {
  const { page } = t;
  const w = env.warnings.signoff;
  await t.login(page, 'county', '/portal/warnings');
  await page.getByLabel('预警等级').selectOption('red');
  assert.match(await page.locator('#level option:checked').innerText(), /^红色/);
  await Promise.all([page.waitForURL(/level=red/), page.getByRole('button', { name: '查询' }).click()]);
  const row = page.locator('#warnings tbody tr', { has: page.locator(`a[href="/portal/warnings/${w.id}"]`) });
  assert.match(await row.innerText(), /红色/);
  assert.match(await row.innerText(), /泄漏/);
  await t.shot(page, 'warnings');
  await Promise.all([page.waitForURL(t.url(`/portal/warnings/${w.id}`)), row.getByRole('link', { name: '查看' }).click()]);
  assert.match(await page.locator('h1').innerText(), /红色/);
  assert.ok(await page.locator('#factors tbody tr').count() >= 1, 'contributing factors are listed');

  t.step('a county staff member is offered neither 签收 (the company\'s) nor 误报 of a red warning (a leader\'s), and sees what the step waits for');
  const offered = (p) => p.locator('#action option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(await offered(page), []);
  assert.match(await page.locator('#act-waiting').innerText(), /等待企业签收/);
  assert.match(await page.locator('#act-none').innerText(), /无权执行/);

  t.step('the company is kept out of the portal; in the base system it is offered 签收, and signs and answers there');
  const company = await t.newPage();
  await t.login(company, 'company', `/portal/warnings/${w.id}`);
  assert.match(await company.locator('h1').innerText(), /无权访问/);
  await company.goto(t.url(`/e/warnings/${w.id}`));
  if (new URL(company.url()).pathname.startsWith('/e/login')) {
    await loginCompany(company, 'company', `/e/warnings/${w.id}`);
  }
  assert.deepEqual(await offered(company), ['acknowledge']);
  await companyAct(company, '签收');
  await companyAct(company, '处置反馈', '已关闭泄漏点阀门，现场通风，可燃气体浓度已降至背景值');

  t.step('the county 核查');
  await page.reload();
  assert.match(await page.locator('#warning').innerText(), /已反馈，待核查/);
  await act(page, '核查（监管部门）', '视频及读数复核，浓度恢复正常');

  t.step('the county leader 解除 (误报 is offered to the leader too)');
  const leader = await t.newPage();
  await t.login(leader, 'countyLeader', `/portal/warnings/${w.id}`);
  assert.deepEqual(await offered(leader), ['close', 'downgrade', 'false_alarm']);
  await act(leader, '解除（监管部门领导）');

  await page.reload();
  const facts = await page.locator('#warning').innerText();
  assert.match(facts, /已归档/);
  assert.match(facts, /解除/);
  assert.equal(await page.locator('#act-form').count(), 0, 'no more actions once closed');
  const timeline = await page.locator('#events').innerText();
  assert.match(timeline, /已关闭泄漏点阀门/);
  assert.match(timeline, /视频及读数复核/);
  await t.shot(page, 'warning');
});

test('各主要页面：输入有标签、键盘可用、不含他县数据', async (t) => {
  const { page } = t;
  await page.goto(t.url('/portal/login'));
  assert.deepEqual(await t.checkForms(page), [], 'login');
  await t.shot(page, 'login');
  await t.login(page, 'county');
  const c = mine.companies[0];
  const pages = [
    ['home', '/portal/'],
    ['warnings', '/portal/warnings'],
    ['warning-open', `/portal/warnings/${env.warnings.open.id}`],
    ['companies', '/portal/companies'],
    ['company', `/portal/companies/${c.code}`],
    ['trend', `/portal/companies/${c.code}/indicators/${encodeURIComponent(c.indicator)}`],
    ['data', '/portal/data'],
    ['rejections', '/portal/rejections'],
  ];
  for (const [name, path] of pages) {
    t.step(path);
    const resp = await page.goto(t.url(path));
    assert.equal(resp.status(), 200, path);
    assert.deepEqual(await t.checkForms(page), [], path);
    const text = await page.locator('body').innerText();
    for (const o of other.companies) {
      assert.ok(!text.includes(o.code) && !text.includes(o.name), `${path} shows ${o.name} of ${other.name}`);
    }
    if (['company', 'trend', 'data', 'rejections'].includes(name)) { await t.shot(page, name); }
  }
});
