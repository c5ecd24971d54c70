package opscmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
)

// passwordFile is standard input holding one password line, as a script feeds it.
func passwordFile(t *testing.T, pw string) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(path, []byte(pw+"\n"), 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// The operator on the host is who manages administrator accounts (三员分立): it
// creates one (its TOTP secret printed once), resets its password (to be changed
// at the next login), disables and enables it.
func TestUserCommandManagesAdministrators(t *testing.T) {
	t.Setenv("CHEMGUARD_DATABASE_URL", pgtest.NewDatabase(t))
	// Not ./.data inside the source tree: the development keys a command creates.
	t.Setenv("CHEMGUARD_DATA_DIR", t.TempDir())
	ctx := context.Background()
	run := func(pw string, args ...string) string {
		t.Helper()
		var out bytes.Buffer
		require.NoError(t, User(ctx, args, passwordFile(t, pw), &out))
		return out.String()
	}
	out := run("Kx7#mQ2vLp9w", "add", "--username", "aud1", "--role", "audit_admin", "--region", "370000")
	assert.Contains(t, out, "secret: ")
	var out2 bytes.Buffer
	err := User(ctx, []string{"add", "--username", "aud2", "--role", "audit_admin", "--region", "370000"},
		passwordFile(t, "Admin@123"), &out2)
	assert.ErrorIs(t, err, identity.ErrWeakPassword)

	run("Hx7$kQ9mZ2-cli", "password", "--username", "aud1")
	run("", "disable", "--username", "aud1")
	svc, closeDB, err := withConfig(ctx, platform.OpenAccess)
	require.NoError(t, err)
	defer closeDB()
	a, err := svc.Identity.Account(ctx, "aud1")
	require.NoError(t, err)
	assert.True(t, a.Disabled)
	run("", "enable", "--username", "aud1")
	a, err = svc.Identity.Account(ctx, "aud1")
	require.NoError(t, err)
	assert.False(t, a.Disabled)
	assert.True(t, a.MustChangePassword, "a password the operator set must be changed")
}
