package auth_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/store"
)

// A regulator's mobile for warning SMS is set (and cleared) through identity,
// audited; a number that is not a mainland mobile is refused with a bilingual error.
func TestSetMobileForWarningSMS(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser("lixia_staff", policy.CountyStaff, "370102")
	actor := identity.Actor{Name: "cli:test"}
	require.NoError(t, e.svc.Identity.SetMobile(ctx, "lixia_staff", " 13912345678 ", actor))
	var m string
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT mobile FROM users WHERE username = 'lixia_staff'`).Scan(&m))
	assert.NotContains(t, m, "13912345678", "personal data is sealed at rest")
	plain, err := e.svc.Box.Open(store.UsersMobileColumn, m)
	require.NoError(t, err)
	assert.Equal(t, "13912345678", plain)
	acct, err := e.svc.Identity.Account(ctx, "lixia_staff")
	require.NoError(t, err)
	assert.Equal(t, "139****5678", acct.Mobile, "shown masked")

	err = e.svc.Identity.SetMobile(ctx, "lixia_staff", "0531-8888888", actor)
	var ce *chemguard.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, chemguard.EInvalid, ce.Code)
	assert.Contains(t, ce.MessageZH, "手机号")

	require.NoError(t, e.svc.Identity.SetMobile(ctx, "lixia_staff", "", actor))
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT mobile FROM users WHERE username = 'lixia_staff'`).Scan(&m))
	assert.Empty(t, m)
	assert.Contains(t, e.auditActions(t), "user_mobile:ok:cli:test")
}
