package pgtest

import (
	"strings"
	"sync"
	"testing"
)

var parallelTests sync.Map // *testing.T → struct{}: the tests Parallel marked

// Parallel runs tb's test in parallel with the package's other parallel tests
// (t.Parallel): for the helpers that give a test a database, a platform, a port
// and a clock of its own, so that every test starting one overlaps its waits
// with the others'. It marks a test once, however often the test calls such a
// helper (a restart starts a second platform); it leaves subtests as they are,
// in order within their test, and benchmarks alone. Code of the test before the
// helper's call runs in go test's sequential phase.
func Parallel(tb testing.TB) {
	t, ok := tb.(*testing.T)
	if !ok || strings.Contains(t.Name(), "/") {
		return
	}
	if _, marked := parallelTests.LoadOrStore(t, struct{}{}); !marked {
		t.Parallel()
	}
}
