// Issue 16's must-show in Chromium, on the real platform: PC pages for
// booking, review, opening and approval; a phone-sized page (390×844) for the
// guardian's measure checks, briefing signature and gas analysis; a start
// refused after the analysis lapsed; re-analysis, work, acceptance, archive,
// the printed PDF. Then the province regulator, in a second browser context,
// finds the permit on the company's page and in 数据浏览, opens its history
// and downloads its PDF: the same bytes as the company's print. Run by
// TestHotWorkPermitToRegulator (permits_test.go); prints {"id", "sha"}.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { context, env, launch, shooter, url } from '../../../web/browsertest/harness.mjs';

const browser = await launch();
const shot = shooter(env.screenshots, 'permits-');
const portalShot = shooter(env.screenshots, 'portal-');
// as opens a page in a new context signed in with the session cookie who.
const as = async (who, phone) => {
  const ctx = await context(browser, phone);
  await ctx.addCookies([{ name: who.name, value: who.value, url: env.baseURL }]);
  return ctx.newPage();
};
// clock moves the platform's clock to "HH:MM" of the test's day.
const clock = async (page, hm) => {
  const r = await page.request.post(env.side + '/clock?at=' + encodeURIComponent(env.day + ' ' + hm));
  assert.equal(r.status(), 204);
};
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const at = (hm) => env.day + 'T' + hm;
// sign draws a stroke on the form's signature pad.
const sign = async (form) => {
  const pad = form.locator('canvas.sig');
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  const page = form.page();
  await page.mouse.move(box.x + 20, box.y + 60);
  await page.mouse.down();
  await page.mouse.move(box.x + 120, box.y + 30, { steps: 5 });
  await page.mouse.move(box.x + 220, box.y + 80, { steps: 5 });
  await page.mouse.up();
};
const form = (page, action) => page.locator(`form[action$="/${action}"]`).first();

try {
  // 作业申请人 books the hot work with the contractor.
  const pc = await as(env.applicant, false);
  await pc.goto(url('/e/permits/bookings/new'));
  await pc.getByLabel('作业类型').selectOption('12');
  await pc.getByLabel('作业内容').fill('更换甲醇管线法兰并焊接');
  await pc.getByLabel('作业地点').fill('二号罐区东侧管廊');
  await pc.getByLabel('作业单位（施工单位，≤50 字）').fill('济南石化安装工程有限公司');
  await pc.getByLabel('承包商').selectOption({ label: '济南石化安装工程有限公司' });
  await pc.getByLabel('预计开始时间').fill(at('08:00'));
  await pc.getByLabel('预计完成时间').fill(at('17:00'));
  await shot(pc, 'booking-form');
  await pc.getByRole('button', { name: '提交预约' }).click();
  await pc.waitForURL(/\/bookings\/\d+$/);
  const bookingURL = pc.url();
  await pc.getByText('待审核').waitFor();
  assert.equal(await pc.getByRole('button', { name: '提交审批' }).count(), 0, 'an unreviewed booking offers no permit');

  // 部门负责人 reviews it.
  const head = await as(env.head, false);
  await head.goto(bookingURL);
  await head.getByRole('button', { name: '审核通过' }).click();
  await head.getByText('审核通过').first().waitFor();

  // The applicant opens the permit: the welder's certificate is valid.
  await pc.goto(bookingURL);
  await pc.getByLabel('作业负责人').fill('刘洋');
  await pc.getByLabel('负责人手机').fill('13805310001');
  await pc.getByLabel('监护人').selectOption(String(env.guardianID));
  await pc.locator(`input[name="workers"][value="${env.welder}"]`).check();
  await pc.getByLabel('风险辨识（每行一项）').fill('管线残留甲醇遇明火燃爆\n焊渣飞溅引燃周边可燃物');
  await pc.getByLabel('补充安全措施（每行一项）').fill('动火点下方铺设防火毯');
  await shot(pc, 'booking');
  await pc.getByRole('button', { name: '提交审批' }).click();
  await pc.waitForURL(/\/e\/permits\/[0-9a-f-]{36}$/);
  const id = pc.url().split('/').pop();

  // The chain: 部门负责人 then 安全管理员, each signing on the pad.
  for (const who of [env.head, env.safety]) {
    const p = await as(who, false);
    await p.goto(url('/e/permits/' + id));
    const f = form(p, 'approve');
    await sign(f);
    await f.getByRole('button', { name: '同意并签字' }).click();
    await p.waitForURL(/ok=approve/);
    if (who === env.safety) { await p.getByText('已签发').first().waitFor(); await shot(p, 'permit-issued'); }
  }

  // The guardian on the phone: measures, briefing, gas analysis at 07:50.
  const phone = await as(env.guardian, true);
  await clock(phone, '07:50');
  await phone.goto(url('/e/m/permits'));
  await phone.getByText('一级动火作业').first().click();
  await phone.waitForURL(/\/e\/m\/permits\//);
  while (await phone.getByRole('button', { name: '现场确认' }).count() > 0) {
    await phone.getByRole('button', { name: '现场确认' }).first().click();
    await phone.waitForLoadState();
  }
  const brief = form(phone, 'briefing');
  await sign(brief);
  await brief.getByRole('button', { name: '签字确认' }).click();
  await phone.getByText('已签字').first().waitFor();
  const gas = async (at, value) => {
    const g = form(phone, 'gas');
    await g.getByLabel('取样时间').fill(at);
    await g.getByLabel('取样点').fill('法兰焊口处');
    await g.getByLabel('检测气体').selectOption('可燃气体');
    await g.getByLabel('检测值').fill(value);
    await sign(g);
    await g.getByRole('button', { name: '保存分析结果' }).click();
    await phone.waitForURL(/ok=gas/);
  };
  await gas(at('07:50'), '0.2');
  await shot(phone, 'm-permit');

  // 30 minutes pass without starting: the start is refused.
  await clock(phone, '08:25');
  await phone.goto(url('/e/m/permits/' + id));
  await phone.getByRole('button', { name: '开始作业' }).click();
  await phone.getByRole('alert').getByText('超时').waitFor();
  await shot(phone, 'm-refused');
  await gas(at('08:25'), '0.1');
  await phone.getByRole('button', { name: '开始作业' }).click();
  await phone.waitForURL(/ok=start/);
  await phone.getByText('作业中').first().waitFor();

  // The work is done; the 部门负责人 accepts, the 安全管理员 archives.
  await clock(phone, '10:00');
  await phone.getByRole('button', { name: '作业完毕' }).first().click();
  await phone.waitForURL(/ok=finish/);
  await head.goto(url('/e/permits/' + id));
  const acc = form(head, 'accept');
  await sign(acc);
  await acc.getByRole('button', { name: '验收签字' }).click();
  await head.waitForURL(/ok=accept/);
  const safety = await as(env.safety, false);
  await safety.goto(url('/e/permits/' + id));
  await safety.getByRole('button', { name: '归档' }).click();
  await safety.waitForURL(/ok=archive/);
  await safety.getByText('已归档').first().waitFor();
  await shot(safety, 'permit-archived');

  // The company prints the permit.
  const pdf = await safety.request.get(url('/e/permits/' + id + '/permit.pdf'));
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  const printed = await pdf.body();
  assert.equal(printed.subarray(0, 4).toString(), '%PDF');
  const sha = sha256(printed);

  await safety.goto(url('/e/permits/stats'));
  await shot(safety, 'stats');
  await safety.goto(url('/e/permits'));
  await shot(safety, 'index');
  await safety.goto(url('/e/permits/base'));
  await shot(safety, 'base');

  // The archived permit's 表1 record (FILE = the PDF) reaches the platform.
  const synced = await safety.request.get(env.side + '/synced?id=' + id + '&sha=' + sha, { timeout: 120000 });
  assert.equal(synced.status(), 204, await synced.text());

  // The province regulator: the company's page (企业一张图 opens it) lists
  // today's permit; its page shows the history and who did each step.
  const reg = await as(env.regulator, false);
  await reg.goto(url('/portal/companies/' + env.company + '#ops-h'));
  await reg.locator(`a[href$="/permits/${id}"]`).first().click();
  await reg.waitForURL(new RegExp(`/portal/companies/${env.company}/permits/${id}$`));
  const history = reg.locator('#permit-history tbody tr');
  assert.ok(await history.count() >= 5, 'every step the company took is a version of the record');
  const steps = (await reg.locator('#permit-steps').textContent()).replace(/\s+/g, '');
  for (const s of ['开票', '审批通过', '气体分析', '安全交底签字', '开始作业', '验收', '归档', env.guardianName]) {
    assert.ok(steps.includes(s), `办理记录 names ${s}: ${steps.slice(0, 300)}`);
  }
  await portalShot(reg, 'permit');
  const href = await reg.locator('#permit-file').getAttribute('href');
  const file = await reg.request.get(url(href));
  assert.equal(file.status(), 200);
  assert.equal(file.headers()['content-type'], 'application/pdf');
  assert.equal(sha256(await file.body()), sha, "the regulator's PDF is the company's print, byte for byte");
  // The newest version's own link serves the same bytes.
  const latest = await history.last().locator('a').getAttribute('href');
  assert.equal(sha256(await (await reg.request.get(url(latest))).body()), sha);

  // 数据浏览 of 表1 links the same permit.
  await reg.goto(url('/portal/data?table=special-operations&company=' + env.company));
  await reg.locator(`a[href$="/permits/${id}"]`).first().click();
  await reg.waitForURL(new RegExp(`/permits/${id}$`));
  await reg.locator('#permit-file').waitFor();

  // 特殊作业 by day, type and region.
  await reg.goto(url(`/portal/permits?from=${env.day}&to=${env.day}&type=12&region=${env.county}`));
  await reg.locator(`main a[href$="/permits/${id}"]`).first().waitFor(); // the day's 一级动火 of 历下区 lists it
  await portalShot(reg, 'permits');
  console.log(JSON.stringify({ id, sha }));
} finally {
  await browser.close();
}
