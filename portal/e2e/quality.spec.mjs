// 数据质量 in the browser (issue 6 item 4, issue 7 item 1): the county regulator sees
// only its county, downloads the daily report as Excel and issues a 整改通知 from a
// fact (README.md, scenarios of quality.spec.mjs).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test, env } from './harness.mjs';

const [mine, other] = env.counties || [];

test('县级监管人员查看数据质量、下载日报并下达整改通知', async (t) => {
  const { page } = t;
  await t.login(page, 'county', '/portal/');
  t.step('数据质量 from the navigation');
  await Promise.all([page.waitForURL(/\/portal\/quality$/), page.getByRole('link', { name: '数据质量', exact: true }).click()]);
  await page.getByRole('heading', { level: 1, name: /数据质量/ }).waitFor();
  assert.match(await page.locator('h1').innerText(), new RegExp(mine.name.replace(/^.*市/, '')));
  const listed = await page.locator('#company-scores tbody tr td:first-child').allInnerTexts();
  assert.deepEqual(listed.sort(), mine.companies.map((c) => c.code).sort(), 'the county\'s companies, scored');
  const text = await page.locator('main').innerText();
  for (const c of other.companies) {
    assert.ok(!text.includes(c.code) && !text.includes(c.name), `${c.name} (${other.name}) is shown`);
  }
  assert.deepEqual(await t.checkForms(page), []);
  await t.shot(page, 'quality');

  t.step('another region is 无权访问');
  const resp = await page.goto(t.url(`/portal/quality?region=${other.code}`));
  assert.equal(resp.status(), 403);
  await page.goto(t.url('/portal/quality'));

  t.step('the daily report downloads as an Excel workbook');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#report-xlsx').click()]);
  assert.match(download.suggestedFilename(), /\.xlsx$/);
  const file = await readFile(await download.path());
  assert.equal(file.subarray(0, 2).toString(), 'PK', 'an xlsx (zip) file');
  assert.ok(file.length > 2000, `report of ${file.length} bytes`);

  t.step('a company\'s facts and evidence, and a 整改通知 from a fact');
  const q = env.quality;
  await Promise.all([page.waitForURL(new RegExp(`/portal/quality/companies/${q.company}`)),
    page.locator('#company-scores').getByRole('link', { name: q.name }).click()]);
  const facts = page.locator('#open-facts');
  await facts.getByText('指标未设报警阈值').first().waitFor();
  assert.match(await facts.innerText(), new RegExp(`${q.company}-TI01`), 'the evidence names the indicator');
  assert.deepEqual(await t.checkForms(page), []);
  const row = facts.locator('tr', { hasText: '指标未设报警阈值' }).first();
  await row.getByRole('checkbox').check();
  await page.getByLabel('整改要求').fill('请于七日内为温度指标设置报警阈值并重新上传指标信息。');
  await t.shot(page, 'quality-company');
  await Promise.all([page.waitForURL(/\/portal\/quality\/notices\/\d+/), page.getByRole('button', { name: '下达整改通知' }).click()]);
  await page.getByText('整改通知已下达').waitFor();
  assert.match(await page.locator('#notice-status').innerText(), /已下达/);
  assert.match(await page.locator('#notice-facts').innerText(), /指标未设报警阈值/);
  assert.match(await page.locator('#notice-steps').innerText(), /下达/);
  assert.deepEqual(await t.checkForms(page), []);
  await t.shot(page, 'quality-notice');

  t.step('it is followed in 整改通知');
  await Promise.all([page.waitForURL(/\/portal\/quality\/notices$/), page.getByRole('link', { name: '整改通知', exact: true }).first().click()]);
  assert.match(await page.locator('#notices').innerText(), new RegExp(q.name));
}, { timeout: 90_000 });
