package browsertest

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// Playwright passes its own --disable-features before the caller's arguments, and
// Chromium reads only the last one: chromium.mjs repeats Playwright's list, so an
// upgrade of playwright-core that disables another feature must be repeated there
// (or the browser tests would silently run with it on).
func TestChromiumKeepsPlaywrightsSwitches(t *testing.T) {
	tools := Require(t)
	bundle := filepath.Join(tools.Playwright, "lib", "coreBundle.js")
	code, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatalf("playwright-core's switches are read from %s (playwright-core 1.65): %v", bundle, err)
	}
	theirs := quotedIn(t, bundle, code, regexp.MustCompile(`(?s)disabledFeatures = \[(.*?)\]`))
	ours := quotedIn(t, "chromium.mjs", mustRead(t, "chromium.mjs"),
		regexp.MustCompile(`(?s)playwrightDisabledFeatures = \[(.*?)\]`))
	kept := map[string]bool{}
	for _, f := range ours {
		kept[f] = true
	}
	for _, f := range theirs {
		if !kept[f] {
			t.Errorf("playwright-core disables %s: add it to playwrightDisabledFeatures in web/browsertest/chromium.mjs", f)
		}
	}
	if len(theirs) < 10 {
		t.Fatalf("read only %d features from %s: %q", len(theirs), bundle, theirs)
	}
}

// quotedIn returns the quoted strings of the list that list's first group matches in
// code, leaving out // comments.
func quotedIn(t *testing.T, name string, code []byte, list *regexp.Regexp) []string {
	t.Helper()
	m := list.FindSubmatch(code)
	if m == nil {
		t.Fatalf("%s: no %s", name, list)
	}
	body := regexp.MustCompile(`//[^\n]*`).ReplaceAll(m[1], nil)
	var out []string
	for _, q := range regexp.MustCompile(`["']([A-Za-z0-9]+)["']`).FindAllSubmatch(body, -1) {
		out = append(out, string(q[1]))
	}
	return out
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Chromium preloads its address bar's popup pages for every window, each in a renderer
// of its own, unless chromium.mjs turns the features off: a Chromium upgrade that
// renames them would double the browser tests' CPU without failing anything else.
func TestChromiumOpensNoBrowserUI(t *testing.T) {
	tools := Require(t)
	out := tools.Run(t, time.Minute, map[string]string{"chromium": tools.Chromium}, filepath.Join("testdata", "targets.mjs"))
	want := "page data:text/html,<p>chemguard</p>\npage data:text/html,<p>chemguard</p>\n"
	if string(out) != want {
		t.Errorf("Chromium's targets:\n%s\nwant only the test's two pages:\n%s", out, want)
	}
}
