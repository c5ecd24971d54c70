// Package filestore keeps the files that exchange records carry (alarm images, work
// permits) out of Kafka and the database: content-addressed by SHA-256 in a directory
// (production: an S3-compatible bucket behind the same two methods). Writing the same
// bytes twice is a no-op, so retries and replays are harmless.
package filestore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Dir is a file store in a directory.
type Dir struct {
	root string
}

// Open returns the store rooted at dir, creating it.
func Open(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	return &Dir{root: dir}, nil
}

// ErrBadRef is returned for a reference that is not "sha256:<64 hex>".
var ErrBadRef = errors.New("filestore: malformed reference")

// Put stores data durably (written, fsynced, renamed into place) and returns its
// reference "sha256:<hex>".
func (d *Dir) Put(data []byte) (string, error) {
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	path := d.path(hexSum)
	if _, err := os.Stat(path); err == nil {
		return "sha256:" + hexSum, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("filestore: put: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".put-*")
	if err != nil {
		return "", fmt.Errorf("filestore: put: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", fmt.Errorf("filestore: put: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("filestore: put: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("filestore: put: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("filestore: put: %w", err)
	}
	return "sha256:" + hexSum, nil
}

// Get returns the bytes of ref.
func (d *Dir) Get(ref string) ([]byte, error) {
	hexSum, ok := strings.CutPrefix(ref, "sha256:")
	if !ok || len(hexSum) != 64 {
		return nil, ErrBadRef
	}
	if _, err := hex.DecodeString(hexSum); err != nil {
		return nil, ErrBadRef
	}
	b, err := os.ReadFile(d.path(hexSum))
	if err != nil {
		return nil, fmt.Errorf("filestore: get: %w", err)
	}
	return b, nil
}

func (d *Dir) path(hexSum string) string {
	return filepath.Join(d.root, hexSum[:2], hexSum[2:4], hexSum)
}
