package identity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
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

func TestPasswordComplexity(t *testing.T) {
	tests := []struct {
		pw string
		ok bool
	}{
		{"Abcdef1!", true},
		{"abcdef12", false}, // two classes
		{"ABCDEFG1!", true}, // upper, digit, symbol
		{"Ab1!", false},     // short
		{"abcdefgh", false}, // one class
		{"危险化学品Ab12", true}, // letters of other scripts count as symbols
		{"Abcdefgh", false},
	}
	for _, tt := range tests {
		t.Run(tt.pw, func(t *testing.T) {
			err := identity.CheckPassword(tt.pw)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, identity.ErrWeakPassword)
			}
		})
	}
	w := newWorld(t, identity.Config{})
	_, err := w.svc.CreateUser(context.Background(), identity.NewUser{Username: "weak", Password: "password",
		Role: policy.CountyStaff, Domain: "370102"}, identity.Actor{Name: "cli:test"})
	assert.Error(t, err)
}

func TestPasswordHash(t *testing.T) {
	h, err := identity.HashPassword("Abcdef1!")
	require.NoError(t, err)
	assert.Contains(t, h, "$argon2id$v=19$m=19456,t=2,p=1$")
	ok, err := identity.VerifyPassword(h, "Abcdef1!")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = identity.VerifyPassword(h, "Abcdef1?")
	require.NoError(t, err)
	assert.False(t, ok)
}
