// Package sealed owns encryption at rest: personal data (mobile and ID numbers)
// and the enterprises' request-signing secrets are stored as AES-256-GCM
// ciphertext under a key the database does not hold (CHEMGUARD_DATA_KEY), each
// value bound to the column it belongs to so a ciphertext copied into another
// column does not open. It also owns the platform's secret keys' loading: from
// the environment in production, or generated once into the data directory for
// development and tests.
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// KeySize is the length of every secret key: 32 bytes (AES-256, HMAC-SHA256).
const KeySize = 32

// Prefix marks a sealed value, so a column can hold a mix of sealed values and
// not-yet-migrated plain text while a migration runs, and a reader never
// mistakes one for the other. A sealed value is Prefix + shown + ":" + base64
// of nonce and ciphertext, where shown is what lists may display (a masked
// number such as 138****1234, or empty): pages and feeds show it without
// holding the key, and only the places that must use the number (sending an
// SMS) open the value.
const Prefix = "enc:v1:"

// Errors returned by this package.
var (
	ErrKeySize = errors.New("sealed: a key must be 32 bytes, given as 64 hex digits or base64")
	ErrOpen    = errors.New("sealed: the value does not open with this key (wrong key, column or tampered)")
	ErrNoKey   = errors.New("sealed: no data key configured (CHEMGUARD_DATA_KEY)")
)

// Box seals and opens values with one key. It is safe for concurrent use.
type Box struct {
	aead   cipher.AEAD
	pseudo []byte // keys Pseudonym, derived from the key
}

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, ErrKeySize
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("chemguard pseudonym v1"))
	return &Box{aead: aead, pseudo: m.Sum(nil)}, nil
}

// Pseudonym stands for plain where a table must tell people apart without
// holding their number (who was already texted): its masked form, '#', and 12
// hex digits of an HMAC under the key — the same for the same number, useless
// without the key. A nil Box returns plain (unit tests without a key).
func (b *Box) Pseudonym(where, plain string) string {
	if b == nil || plain == "" || strings.Contains(plain, PseudonymSeparator) {
		return plain
	}
	m := hmac.New(sha256.New, b.pseudo)
	m.Write([]byte(where + "\n" + plain))
	return MaskMobile(plain) + PseudonymSeparator + hex.EncodeToString(m.Sum(nil))[:12]
}

// PseudonymSeparator separates a pseudonym's masked form from its digest.
const PseudonymSeparator = "#"

// Seal encrypts plain for the column named by where (e.g. "users.mobile"); ""
// stays "" so an empty optional field stays visibly empty. Nothing is shown.
func (b *Box) Seal(where, plain string) (string, error) { return b.SealShown(where, plain, "") }

// SealShown is Seal keeping shown (a masked form of plain, without ':') in
// clear for display; the ciphertext is bound to it too.
func (b *Box) SealShown(where, plain, shown string) (string, error) {
	if plain == "" {
		return "", nil
	}
	if b == nil {
		return "", ErrNoKey
	}
	shown = strings.ReplaceAll(shown, ":", "")
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("sealed: nonce: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plain), []byte(where+"\n"+shown))
	return Prefix + shown + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed for where. A value without the prefix is
// returned as it is: rows written before encryption was introduced read the
// same until the migration has sealed them.
// A nil Box opens only unsealed values.
func (b *Box) Open(where, value string) (string, error) {
	rest, ok := strings.CutPrefix(value, Prefix)
	if !ok {
		return value, nil
	}
	if b == nil {
		return "", ErrNoKey
	}
	shown, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return "", ErrOpen
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", ErrOpen
	}
	plain, err := b.aead.Open(nil, raw[:b.aead.NonceSize()], raw[b.aead.NonceSize():], []byte(where+"\n"+shown))
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

// IsSealed reports whether value is a sealed value.
func IsSealed(value string) bool { return strings.HasPrefix(value, Prefix) }

// Display is what a page or feed shows of a stored value: the shown part of a
// sealed value ("******" when none was kept), an unsealed value as it is.
func Display(value string) string {
	rest, ok := strings.CutPrefix(value, Prefix)
	if !ok {
		return value
	}
	if shown, _, ok := strings.Cut(rest, ":"); ok && shown != "" {
		return shown
	}
	return "******"
}

// ParseKey decodes a key given as 64 hex digits or as standard base64.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, ErrKeySize
}

// LoadOrCreateKey returns the key in dir/name (hex), creating it with a fresh
// random key (mode 0600) when it does not exist. It is for development and
// tests, where one data directory stands for the operator's key store; in
// production the key comes from the environment and a lost data directory must
// not silently mint a new one.
func LoadOrCreateKey(dir, name string) ([]byte, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		return ParseKey(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("sealed: read key %s: %w", path, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sealed: key dir: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("sealed: new key: %w", err)
	}
	// O_EXCL: two processes starting on one data directory agree on one key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("sealed: read key %s: %w", path, err)
		}
		return ParseKey(string(b))
	}
	if err != nil {
		return nil, fmt.Errorf("sealed: create key %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		return nil, fmt.Errorf("sealed: write key %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("sealed: write key %s: %w", path, err)
	}
	return key, nil
}

// NewRandomKey returns a fresh random key: for a component built without a
// configured key (unit tests), whose sealed values then live as long as it does.
func NewRandomKey() []byte {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return key
}

// MaskMobile shows a phone number as lists do: the first three and last four
// digits (138****1234); anything shorter than eight characters is fully masked.
func MaskMobile(s string) string {
	r := []rune(s)
	if len(r) < 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// MaskID shows an ID number (身份证号) as lists do: the first and last four
// characters.
func MaskID(s string) string {
	n := utf8.RuneCountInString(s)
	if n < 10 {
		return strings.Repeat("*", n)
	}
	r := []rune(s)
	return string(r[:4]) + strings.Repeat("*", n-8) + string(r[n-4:])
}
