// Company data reaching the page's scripts is text, never markup: a company whose
// registered name is an HTML payload, shown in the county map's tooltip.
import assert from 'node:assert/strict';
import { test, env } from './harness.mjs';

test('企业名称中的 HTML 在地图提示框中按原文显示，不插入元素', async (t) => {
  const { page } = t;
  const h = env.hostile;
  await t.login(page, 'province', '/portal/');
  // The payload must be stopped by escaping, not by the CSP: a CSP report would
  // fail the test anyway (console error), and the element itself is looked for.
  await page.goto(t.url(`/portal/?region=${h.county}#drill`));
  await page.locator('#drill-map canvas').first().waitFor();
  const el = page.locator('#drill-map');
  await el.scrollIntoViewIfNeeded();
  const box = await el.boundingBox();
  const at = await page.evaluate((c) => window.echarts.getInstanceByDom(document.getElementById('drill-map'))
    .convertToPixel({ seriesIndex: 0 }, c), [h.lon, h.lat]);
  await page.mouse.move(box.x + at[0], box.y + at[1], { steps: 5 });
  const tip = page.locator('#drill-map div').filter({ hasText: '条未处置完的预警' }).last();
  await tip.waitFor();
  const open = await page.locator('#county-companies tbody tr td').nth(1).innerText();
  assert.equal(await tip.innerText(), `${h.name}：${open} 条未处置完的预警`);
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no element injected from a company name');
  // The table under the map shows the same name as text.
  await page.locator('#county-companies').getByRole('link', { name: h.name }).waitFor();
}, { timeout: 60_000 });
