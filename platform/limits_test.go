package platform_test

import (
	"bytes"
	"io"

	"github.com/shandong-emergency/chemguard/ingest"
)

func ingestSmallLimits() ingest.Config {
	return ingest.Config{MaxBodyBytes: 8 << 20, MaxRecords: 5}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
