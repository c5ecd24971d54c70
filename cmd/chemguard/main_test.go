package main

import (
	"os"
	"testing"
)

// TestMain gives the package's tests a data directory of their own: a command run
// by a test without CHEMGUARD_DATA_DIR would otherwise create ./.data (and the
// development keys in it) inside the source tree.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chemguard-cmd-test-")
	if err != nil {
		panic(err)
	}
	if os.Getenv("CHEMGUARD_DATA_DIR") == "" {
		os.Setenv("CHEMGUARD_DATA_DIR", dir)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
