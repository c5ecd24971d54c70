package inspect

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// The worker serves the app shell (script, styles, offline page) from its cache:
// its cache name follows their content, so a new m.js changes sw.js and phones
// that installed the app fetch it, instead of keeping the old one for ever.
func TestShellVersionFollowsTheFiles(t *testing.T) {
	a := fstest.MapFS{"static/m.js": {Data: []byte("one")}, "templates/offline.html": {Data: []byte("x")}}
	b := fstest.MapFS{"static/m.js": {Data: []byte("two")}, "templates/offline.html": {Data: []byte("x")}}
	c := fstest.MapFS{"static/m.js": {Data: []byte("one")}, "templates/offline.html": {Data: []byte("y")}}
	require.Equal(t, shellVersion(a), shellVersion(a))
	require.NotEqual(t, shellVersion(a), shellVersion(b))
	require.NotEqual(t, shellVersion(a), shellVersion(c))

	sw := string(serviceWorker())
	require.Contains(t, sw, "'chemguard-m-shell-"+shellVersion(staticFS, templateFS)+"'")
	require.False(t, strings.Contains(sw, "chemguard-m-shell-v1"))
}
