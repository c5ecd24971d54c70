// run.mjs runs every portal/e2e/*.spec.mjs (or the spec files named on the command
// line) in one headless Debian Chromium driven by playwright-core, against the
// platform described by CHEMGUARD_E2E_ENV (JSON, written by the Go test
// portal/e2e_test.go — see README.md). It exits 0 when every test passed, 1 when one
// failed, 2 when it could not start.
//
//   node run.mjs [--grep REGEXP] [file.spec.mjs ...]

import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { chromiumArgs } from '../../web/browsertest/chromium.mjs';
import { env, setCurrentFile, registered, login, checkForms, screenshotDir } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function fatal(msg) {
  console.error(`e2e: ${msg}`);
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  let grep = null;
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--grep') { grep = new RegExp(args[++i]); } else { files.push(resolve(args[i])); }
  }
  if (!env.baseURL) {
    fatal('CHEMGUARD_E2E_ENV is not set: run the browser tests with `go test ./portal/ -run TestBrowser` (see portal/e2e/README.md)');
  }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (err) {
    fatal(`playwright-core is not installed: run \`npm ci\` in portal/e2e (make e2e-deps) — ${err.message}`);
  }
  const executablePath = env.chromium || '/usr/bin/chromium';
  if (!existsSync(executablePath)) { fatal(`no Chromium at ${executablePath}: apt-get install -y chromium`); }

  const artifacts = resolve(env.artifacts || join(here, 'artifacts'));
  rmSync(join(artifacts, 'failures'), { recursive: true, force: true });
  mkdirSync(join(artifacts, 'failures'), { recursive: true });
  env.artifacts = artifacts;

  const specs = files.length ? files : readdirSync(here).filter((f) => f.endsWith('.spec.mjs')).sort().map((f) => join(here, f));
  for (const f of specs) {
    setCurrentFile(basename(f));
    await import(pathToFileURL(f).href);
  }
  const tests = registered().filter((t) => !grep || grep.test(`${t.file} ${t.name}`));
  if (!tests.length) { fatal(`no tests in ${specs.map((f) => basename(f)).join(', ') || 'portal/e2e'}${grep ? ' matching ' + grep : ''}`); }

  const browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
  console.log(`e2e: ${tests.length} tests from ${specs.length} files, Chromium ${browser.version()}, ${env.baseURL}`);
  const failed = [];
  const started = Date.now();
  for (const tc of tests) {
    const t0 = Date.now();
    const err = await runOne(browser, tc, artifacts);
    const ms = Date.now() - t0;
    if (err) {
      failed.push(tc);
      console.log(`✗ ${tc.file} › ${tc.name} (${ms} ms)\n${indent(err.stack || String(err))}`);
    } else {
      console.log(`✓ ${tc.file} › ${tc.name} (${ms} ms)`);
    }
  }
  await browser.close();
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`e2e: ${tests.length - failed.length} passed, ${failed.length} failed in ${secs} s` +
    (failed.length ? `; screenshots and HTML of the failing pages in ${join(artifacts, 'failures')}` : ''));
  process.exit(failed.length ? 1 : 0);
}

function indent(s) { return s.split('\n').map((l) => '    ' + l).join('\n'); }

// runOne runs one test in fresh browser contexts and returns its error, or null.
async function runOne(browser, tc, artifacts) {
  const t0 = Date.now();
  const contexts = [];
  const pageProblems = [];
  const allowed = [];
  const watch = (page) => {
    page.on('pageerror', (e) => pageProblems.push(`uncaught exception on ${page.url()}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() !== 'error') { return; }
      const text = m.text();
      // An HTTP error status the test asked for (a 403 page) is logged as a resource failure.
      if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) { return; }
      if (allowed.some((re) => re.test(text))) { return; }
      pageProblems.push(`console error on ${page.url()}: ${text}`);
    });
  };
  const newContext = async (options = {}) => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai', ...options });
    ctx.setDefaultTimeout(10_000);
    ctx.on('page', watch);
    contexts.push(ctx);
    return ctx;
  };
  const context = await newContext();
  const page = await context.newPage();
  const t = {
    name: tc.name,
    file: tc.file,
    env,
    context,
    page,
    newContext,
    async newPage(options) { return (await newContext(options)).newPage(); },
    login,
    checkForms,
    url: (path) => env.baseURL + path,
    step: (msg) => console.log(`  · ${msg} (+${Date.now() - t0} ms)`),
    allowConsole: (re) => allowed.push(re),
    async shot(p, name, opts = {}) {
      const file = join(screenshotDir(), `${name}.png`);
      await p.screenshot({ path: file, fullPage: opts.fullPage !== false, animations: 'disabled' });
      return file;
    },
  };
  let timer;
  let err = null;
  try {
    await Promise.race([
      tc.fn(t),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${tc.timeout} ms`)), tc.timeout); }),
    ]);
    if (pageProblems.length) { err = new Error(`the pages reported errors:\n${pageProblems.join('\n')}`); }
  } catch (e) {
    err = e;
    if (pageProblems.length) { err.message += `\n(the pages also reported:\n${pageProblems.join('\n')})`; }
  } finally {
    clearTimeout(timer);
  }
  if (err) { await saveFailure(contexts, tc, artifacts); }
  for (const ctx of contexts) { await ctx.close().catch(() => {}); }
  return err;
}

// saveFailure writes a screenshot and the HTML of every page the failed test had open.
async function saveFailure(contexts, tc, artifacts) {
  const slug = `${tc.file.replace(/\.spec\.mjs$/, '')}-${tc.name}`.replace(/[^\p{L}\p{N}_-]+/gu, '_').slice(0, 80);
  let n = 0;
  for (const ctx of contexts) {
    for (const p of ctx.pages()) {
      const base = join(artifacts, 'failures', `${slug}-${n++}`);
      await p.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5000 }).catch(() => {});
      const html = await p.content().catch(() => '');
      writeFileSync(`${base}.html`, `<!-- ${p.url()} -->\n${html}`);
    }
  }
}

main().catch((err) => fatal(err.stack || String(err)));
