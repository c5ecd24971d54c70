// The common start of the browser scripts that browsertest.Run runs: the
// environment the Go test passed (CHEMGUARD_E2E_ENV), playwright-core from
// NODE_PATH (portal/e2e/node_modules; ES modules do not read NODE_PATH
// themselves) and Chromium launched headless as every script needs it.
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { chromiumArgs } from './chromium.mjs';

export const env = JSON.parse(process.env.CHEMGUARD_E2E_ENV);
const require = createRequire(join(process.env.NODE_PATH || env.playwright || '.', 'x.js'));
export const { chromium } = require('playwright-core');

// launch starts Debian's Chromium headless with the switches of chromium.mjs;
// extra are further switches (a fake camera).
export function launch(extra = []) {
  return chromium.launch({ executablePath: env.chromium, args: [...chromiumArgs, ...extra] });
}

// url is path on the platform under test.
export const url = (p) => env.baseURL + p;

// shooter returns shot(page, name): a full-page screenshot dir/prefix+name.png,
// or nothing when dir is empty (CHEMGUARD_SCREENSHOTS unset).
export function shooter(dir, prefix) {
  return async (page, name) => {
    if (dir) { await page.screenshot({ path: join(dir, prefix + name + '.png'), fullPage: true }); }
  };
}

// context opens a browser context at a phone's size (390×844, touch) or a PC's.
export function context(browser, phone, extra) {
  return browser.newContext({ ...(phone
    ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' }
    : { viewport: { width: 1366, height: 900 }, locale: 'zh-CN' }), ...extra });
}
