package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestMain gives the package's tests a data directory of their own: a command run
// by a test without CHEMGUARD_DATA_DIR would otherwise create ./.data (and the
// development keys in it) inside the source tree. The binary the process tests
// build is kept there too, and removed with it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chemguard-cmd-test-")
	if err != nil {
		panic(err)
	}
	if os.Getenv("CHEMGUARD_DATA_DIR") == "" {
		os.Setenv("CHEMGUARD_DATA_DIR", dir)
	}
	// The process tests build the binary once, here (crash_test.go's buildBinary).
	os.Setenv("CHEMGUARD_CMD_TEST_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// `chemguard check` exits 0 when the batch is accepted and 1 when it is refused.
func TestCheckExitStatus(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("[\n{\"ID\": 1,,}]"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join("..", "..", "validate", "testdata", "valid", "special-operations.json")
	var out, errOut bytes.Buffer
	if code := run([]string{"check", "special-operations", good}, &out, &errOut); code != 0 {
		t.Errorf("a valid batch: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if code := run([]string{"check", "special-operations", bad}, &out, &errOut); code != 1 {
		t.Errorf("a refused batch: exit %d", code)
	}
}
