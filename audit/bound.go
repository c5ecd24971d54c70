package audit

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Bounds of the audited fields, in bytes. They are far above anything honest
// (a username is at most 64 characters, an object a method and a path) and
// small enough that an oversized value cannot bloat the log or fail the insert,
// so the attempt is still recorded.
const (
	maxActor     = 256
	maxActorRole = 512
	maxClientIP  = 64
	maxAction    = 64
	maxObject    = 1024
	maxResult    = 32
	// MaxDetail bounds the JSON detail; a longer one is replaced by a JSON
	// object keeping its first characters.
	MaxDetail = 4096
)

// TruncationMarker ends every truncated field, followed by the original length
// in bytes, so a reader knows the value is not whole.
const TruncationMarker = "…[截断/truncated, 原长/bytes="

// bound cuts s to at most max bytes (on a character boundary, invalid UTF-8
// replaced) with the marker and the original length.
func bound(s string, max int) string {
	if len(s) <= max && utf8.ValidString(s) {
		return s
	}
	marker := fmt.Sprintf("%s%d]", TruncationMarker, len(s))
	if len(s) <= max { // valid length, invalid bytes: keep the text readable
		return toValid(s)
	}
	keep := max - len(marker)
	if keep < 0 {
		keep = 0
	}
	cut := s[:keep]
	for len(cut) > 0 && !utf8.RuneStart(s[len(cut)]) {
		cut = cut[:len(cut)-1]
	}
	return toValid(cut) + marker
}

func toValid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out := make([]rune, 0, len(s))
	for _, r := range s {
		out = append(out, r)
	}
	return string(out)
}

// boundDetail encodes d and, when the JSON is longer than MaxDetail, records
// instead {"truncated":true,"bytes":N,"head":"<first characters>"}: still JSON,
// still saying what it was.
func boundDetail(d any) (string, error) {
	s, err := encodeDetail(d)
	if err != nil || len(s) <= MaxDetail {
		return s, err
	}
	head := bound(s, MaxDetail/2)
	b, err := json.Marshal(struct {
		Truncated bool   `json:"truncated"`
		Bytes     int    `json:"bytes"`
		Head      string `json:"head"`
	}{true, len(s), head})
	if err != nil {
		return "", fmt.Errorf("audit: encode detail: %w", err)
	}
	return string(b), nil
}

// Bound cuts s to max bytes with the truncation marker, for callers that put
// request values into an Event and want them whole-or-marked.
func Bound(s string, max int) string { return bound(s, max) }
