// The switches every browser test starts Debian's Chromium with: headless, as
// root, without the background traffic that slows a loaded test machine, and
// without the browser's own UI pages.
//
// Chromium 156 preloads two WebUI pages of the address bar's popup
// (chrome://omnibox-popup.top-chrome/ and its AI-mode variant) for every window
// a context opens, headless or not, each in a renderer of its own: in portal's
// TestBrowser they and the browser process's work for them were half of
// Chromium's CPU (138 → 67 CPU s for its 18 specs; docs/architecture.md, "Tests
// and their time"). No test uses an address bar, so the features are off.
//
// --disable-features is read once, from its last occurrence, and Playwright
// passes its own list before the caller's arguments: the list here repeats
// Playwright's (playwright-core 1.65.1, chromiumSwitches.ts) and adds ours.
// browsertest.TestChromiumKeepsPlaywrightsSwitches fails when an upgrade of
// playwright-core disables a feature this list does not repeat.

export const playwrightDisabledFeatures = [
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',

  'PreconnectToSearch',
  'msForceBrowserSignIn',
  'msEdgeUpdateLaunchServicesPreferredVersion',
];

export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  `--disable-features=${[...playwrightDisabledFeatures, 'WebUIOmniboxPopup', 'WebUIOmniboxAimPopup'].join(',')}`];
