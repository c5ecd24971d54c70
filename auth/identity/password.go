package identity

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/shandong-emergency/chemguard"
)

// Argon2id parameters (OWASP's recommended minimum: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// ErrWeakPassword is returned (wrapped) by CheckPassword and CheckPasswordFor.
var ErrWeakPassword = errors.New("identity: password too weak")

//go:embed common_passwords.txt
var commonPasswordsFile string

// commonPasswords are refused whatever their classes, lower-cased.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsFile, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// commonWords are what people dress up with digits and symbols ("Admin@123"):
// a password whose letters are only one of them is refused.
var commonWords = map[string]bool{"admin": true, "administrator": true, "password": true, "passwd": true, "pass": true,
	"root": true, "test": true, "user": true, "guest": true, "system": true, "sysadmin": true, "manager": true,
	"welcome": true, "qwerty": true, "qwe": true, "qwer": true, "asd": true, "asdf": true, "zxc": true, "abc": true,
	"abcd": true, "aa": true, "qq": true, "woaini": true, "iloveyou": true, "china": true, "shandong": true,
	"huawei": true, "letmein": true, "super": true, "superadmin": true, "security": true, "audit": true, "changeme": true}

func weak(zh, en string) error {
	return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: zh, MessageEN: en, Err: ErrWeakPassword}
}

// CheckPassword is CheckPasswordFor without a username.
func CheckPassword(pw string) error { return CheckPasswordFor("", pw) }

// CheckPasswordFor returns an invalid *chemguard.Error wrapping ErrWeakPassword,
// saying why, unless pw has at least MinPasswordLength characters from at
// least three of upper case, lower case, digits and other characters, is not a
// common password nor a common word dressed with digits and symbols
// ("Admin@123"), is not mostly keyboard walks or repeats ("1qaz@WSX",
// "Qwer1234"), and does not contain the username.
func CheckPasswordFor(username, pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return weak(fmt.Sprintf("密码至少 %d 位", MinPasswordLength), fmt.Sprintf("the password needs at least %d characters", MinPasswordLength))
	}
	var upper, lower, digit, other int
	var letters strings.Builder
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = 1
			letters.WriteRune(unicode.ToLower(r))
		case unicode.IsLower(r):
			lower = 1
			letters.WriteRune(r)
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	if upper+lower+digit+other < 3 {
		return weak("密码须包含大写字母、小写字母、数字、符号中的至少三类", "the password needs three of upper case, lower case, digits and symbols")
	}
	low := strings.ToLower(pw)
	if commonPasswords[low] || commonWords[letters.String()] {
		return weak("密码过于常见（如 Admin@123），请换一个不易猜到的密码", "the password is a common one (like Admin@123)")
	}
	if u := strings.ToLower(username); utf8.RuneCountInString(u) >= 3 && strings.Contains(low, u) {
		return weak("密码不能包含用户名", "the password must not contain the username")
	}
	if 2*keyboardRunLength(low) >= utf8.RuneCountInString(low) {
		return weak("密码主要由键盘连续键或重复字符组成（如 1qaz@WSX、Qwer1234），请换一个", "the password is mostly keyboard walks or repeated characters")
	}
	return nil
}

// keyboardRows is a US keyboard (the one Chinese users type passwords on), each
// row shifted half a key right of the one above.
var keyboardRows = []string{"1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./"}

// shifted maps a shifted symbol to its key.
var shifted = map[rune]rune{'!': '1', '@': '2', '#': '3', '$': '4', '%': '5', '^': '6', '&': '7', '*': '8', '(': '9',
	')': '0', '_': '-', '+': '=', '{': '[', '}': ']', ':': ';', '"': '\'', '<': ',', '>': '.', '?': '/'}

type keyPos struct{ row, col int }

var keyPositions = func() map[rune]keyPos {
	m := map[rune]keyPos{}
	for r, row := range keyboardRows {
		for c, k := range row {
			m[k] = keyPos{r, c}
		}
	}
	return m
}()

// adjacentKeys reports whether b is a's key again or a neighbour: left or
// right on the row, or touching it on the row above or below ("1qaz", "zaq1").
func adjacentKeys(a, b rune) bool {
	if a == b {
		return true
	}
	pa, oka := keyPositions[a]
	pb, okb := keyPositions[b]
	if !oka || !okb {
		return false
	}
	switch pb.row - pa.row {
	case 0:
		return pb.col-pa.col == 1 || pa.col-pb.col == 1
	case 1:
		return pb.col == pa.col || pb.col == pa.col-1
	case -1:
		return pb.col == pa.col || pb.col == pa.col+1
	}
	return false
}

// keyboardRunLength returns how many characters of the lower-cased pw lie in
// runs of four or more keys each adjacent to the one before.
func keyboardRunLength(pw string) int {
	keys := []rune(pw)
	for i, k := range keys {
		if u, ok := shifted[k]; ok {
			keys[i] = u
		}
	}
	total, run := 0, 1
	for i := 1; i <= len(keys); i++ {
		if i < len(keys) && adjacentKeys(keys[i-1], keys[i]) {
			run++
			continue
		}
		if run >= 4 {
			total += run
		}
		run = 1
	}
	return total
}

// HashPassword returns the argon2id hash of pw in PHC string form
// ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash").
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("identity: hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC hash, in constant time for a
// given hash. A malformed hash is an error.
func VerifyPassword(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("identity: verify password: not an argon2id hash")
	}
	var version int
	var mem, t uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil {
		return false, fmt.Errorf("identity: verify password: %w", err)
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &threads); err != nil {
		return false, fmt.Errorf("identity: verify password: %w", err)
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("identity: verify password: salt: %w", err)
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("identity: verify password: key: %w", err)
	}
	got := argon2.IDKey([]byte(pw), salt, t, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when a username is unknown, so the answer takes
// as long as for a known one.
var dummyHash, _ = HashPassword("chemguard-dummy-Password-1")

// NewOneTimePassword returns a random password that meets the rules (upper
// and lower case, digits, a symbol; 20 characters), for an account whose
// owner must change it at the first login.
func NewOneTimePassword() string {
	const (
		upper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		lower  = "abcdefghijkmnpqrstuvwxyz"
		digits = "23456789"
		symbol = "#%+=@"
	)
	all := upper + lower + digits + symbol
	for {
		b := make([]byte, 20)
		for i := range b {
			set := all
			switch i {
			case 0:
				set = upper
			case 1:
				set = lower
			case 2:
				set = digits
			case 3:
				set = symbol
			}
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
			if err != nil {
				panic(err) // the system's random source failed
			}
			b[i] = set[n.Int64()]
		}
		if CheckPassword(string(b)) == nil {
			return string(b)
		}
	}
}
