package auth_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The system administrator registers chemical parks; nobody else may, a park must
// sit under a Shandong city or county, and each registration is audited.
func TestParkRegistration(t *testing.T) {
	e, sys, sec := newAdminEnv(t, lxStaff)
	staff := e.login("lx_staff")
	park := map[string]string{"code": "HG370500001", "name": "东营港经济开发区化工园区", "division_code": "370522"}

	for name, tok := range map[string]string{"security admin": sec, "county staff": staff} {
		assert.Equal(t, http.StatusForbidden, e.do(http.MethodPost, "/api/v1/admin/parks", tok, park).Status, name)
	}
	r := e.do(http.MethodPost, "/api/v1/admin/parks", sys, park)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	got, err := e.svc.Parks.Get(context.Background(), "HG370500001")
	require.NoError(t, err)
	assert.Equal(t, "370522", got.DivisionCode)
	assert.Equal(t, http.StatusConflict, e.do(http.MethodPost, "/api/v1/admin/parks", sys, park).Status, "codes are unique")
	bad := map[string]string{"code": "HG1", "name": "某园区", "division_code": "110101"}
	assert.Equal(t, http.StatusUnprocessableEntity, e.do(http.MethodPost, "/api/v1/admin/parks", sys, bad).Status, "not in Shandong")

	var audited int
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE action = 'park.add' AND object = 'park:HG370500001'`).Scan(&audited))
	assert.Equal(t, 2, audited, "the registration and the refused duplicate")
}
