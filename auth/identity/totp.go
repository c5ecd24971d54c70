package identity

import (
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTPIssuer names the platform in authenticator apps.
const TOTPIssuer = "chemguard 山东危化品监测预警"

const totpPeriod = 30

// NewTOTP generates a TOTP secret for account and returns it (base32) with its
// otpauth:// URL for an authenticator app.
func NewTOTP(account string) (secret, url string, err error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: account, Period: totpPeriod})
	if err != nil {
		return "", "", fmt.Errorf("identity: totp: %w", err)
	}
	return k.Secret(), k.URL(), nil
}

// TOTPCode returns the code for secret at t (for tests and tooling).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// checkTOTP returns the 30-second step code belongs to if it is valid for secret
// at now (one step of clock skew either way) and later than lastStep, so a code
// is accepted once; otherwise 0.
func checkTOTP(secret, code string, now time.Time, lastStep int64) int64 {
	if len(code) != 6 {
		return 0
	}
	for _, skew := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(skew*totpPeriod) * time.Second)
		want, err := TOTPCode(secret, t)
		if err != nil {
			return 0
		}
		step := t.Unix() / totpPeriod
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > lastStep {
			return step
		}
	}
	return 0
}
