package identity_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
)

func TestCheckPasswordForRefusesWeakOnes(t *testing.T) {
	tests := []struct {
		user, pw string
		ok       bool
	}{
		{"", "Admin@123", false},             // the assessment's example: in the list
		{"", "ADMIN@123", false},             // compared case-insensitively
		{"", "Admin#2027", false},            // a common word dressed with digits and symbols
		{"", "P@ssw0rd", false},              // list
		{"", "1qaz@WSX", false},              // keyboard column walk, shifted
		{"", "Qwer1234", false},              // row walks
		{"", "Zaq1@wsx", false},              // walk backwards
		{"", "Asdf!2345", false},             // walks make up more than half
		{"", "Aaaa1111!", false},             // repeats
		{"zhangwei", "Zhangwei@2026", false}, // the username inside
		{"zhangwei", "Hx7$kQ9mZ2", true},
		{"", "Chemguard-2026", true},
		{"", "Kx7#mQ2vLp9w", true},
		{"", "危险化学品Ab12", true},
		{"", "Abc1!", false}, // short
	}
	for _, tt := range tests {
		t.Run(tt.pw, func(t *testing.T) {
			err := identity.CheckPasswordFor(tt.user, tt.pw)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			assert.True(t, errors.Is(err, identity.ErrWeakPassword), "%v", err)
			assert.Equal(t, chemguard.EInvalid, chemguard.ErrorCode(err))
			var ce *chemguard.Error
			if assert.ErrorAs(t, err, &ce) {
				assert.NotEmpty(t, ce.MessageZH)
				assert.NotEmpty(t, ce.MessageEN)
			}
		})
	}
}
