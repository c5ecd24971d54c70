// Prints, one per line, the type and URL of every target a Chromium launched by
// harness.mjs's launch has after two contexts each opened a page: the test
// (TestChromiumOpensNoBrowserUI) expects the two pages and nothing of the
// browser's own UI.
import { launch } from '../harness.mjs';

const browser = await launch();
try {
  for (let i = 0; i < 2; i++) {
    const page = await (await browser.newContext()).newPage();
    await page.goto('data:text/html,<p>chemguard</p>');
  }
  // The popups were preloaded a moment after the window opened.
  await new Promise((r) => setTimeout(r, 1000));
  const { targetInfos } = await (await browser.newBrowserCDPSession()).send('Target.getTargets');
  for (const t of targetInfos) { console.log(`${t.type} ${t.url}`); }
} finally {
  await browser.close();
}
