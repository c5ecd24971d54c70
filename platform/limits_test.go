package platform_test

import (
	"bytes"
	"io"
	"net/url"
	"testing"

	"github.com/shandong-emergency/chemguard/ingest"
)

func ingestSmallLimits() ingest.Config {
	return ingest.Config{MaxBodyBytes: 8 << 20, MaxRecords: 5}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func mustURL(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}
