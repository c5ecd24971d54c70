package inspect_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
)

// An inspector whose password an administrator reset must change it first: the
// app sends it to the portal's 账号安全 page rather than opening any page.
func TestPendingAccountIsSentToAccountPage(t *testing.T) {
	e := start(t)
	e.user("lx_inspector", policy.Inspector, "370102")
	require.NoError(t, e.App.Access.Identity.ResetPassword(context.Background(), "lx_inspector", testPassword,
		identity.Actor{Name: "cli:test"}))
	p := e.login("lx_inspector")
	r := p.Get("/m/")
	assert.Equal(t, http.StatusSeeOther, r.Status)
	assert.Equal(t, "/portal/account", r.Location)
}
