package auth_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
)

// The attack: park "HD/370102" registered under 黄岛 (370211) made the path of
// its companies end in ".../370211/park:HD/370102/ent:…", and every 历下
// (370102) user could read them. Such a code is refused at every door with a
// bilingual error; and a row written straight into the database with it is
// still out of 历下's reach (matching is by field, not by path segment), in
// the list and for the one company.
func TestSlashInParkCodeDoesNotCrossRegions(t *testing.T) {
	e, sys, sec := newAdminEnv(t, lxStaff, account{"hd_staff", policy.CountyStaff, "370211"})
	ctx := context.Background()

	// API: park and company registration, account creation in a park domain.
	r := e.do(http.MethodPost, "/api/v1/admin/parks", sys, map[string]string{"code": "HD/370102", "name": "黄岛化工园区", "division_code": "370211"})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	assert.Contains(t, string(r.Raw), "园区编码")
	assert.Contains(t, string(r.Raw), "park code")
	e.addPark("HD370211", "370211")
	r = e.do(http.MethodPost, "/api/v1/admin/enterprises", sys, map[string]string{"code": "C1/370102", "name": "黄岛某化工",
		"division_code": "370211", "park_code": "HD370211"})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	assert.Contains(t, string(r.Raw), "企业编码")
	r = e.do(http.MethodPost, "/api/v1/admin/enterprises", sys, map[string]string{"code": "C1", "name": "黄岛某化工",
		"division_code": "370211", "park_code": "HD/370102"})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	r = e.do(http.MethodPost, "/api/v1/admin/users", sec, map[string]string{"username": "hd_park", "password": testPassword,
		"role": string(policy.ParkStaff), "domain": "park:HD/370102"})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	assert.Contains(t, string(r.Raw), "园区编码")
	// The stores every other door (command line, portal) ends in.
	err := e.svc.Parks.Add(ctx, tiers.Park{Code: "HD/370102", Name: "黄岛化工园区", DivisionCode: "370211"})
	assert.Equal(t, chemguard.EInvalid, chemguard.ErrorCode(err), "%v", err)
	err = store.NewEnterprises(e.pool).Add(ctx, store.Enterprise{Code: "C1", Name: "黄岛某化工", DivisionCode: "370211", ParkCode: "HD/370102"})
	assert.Equal(t, chemguard.EInvalid, chemguard.ErrorCode(err), "%v", err)
	_, err = e.svc.Identity.CreateUser(ctx, identity.NewUser{Username: "hd_park2", Password: testPassword,
		Role: policy.ParkStaff, Domain: "park:HD/370102"}, identity.Actor{Name: "cli:test"})
	assert.Error(t, err)

	// Even if such rows existed (written by hand), 历下 cannot read the company.
	_, err = e.pool.Exec(ctx, `INSERT INTO parks (code, name, division_code) VALUES ('HD/370102', '黄岛化工园区', '370211')`)
	require.NoError(t, err)
	_, err = e.pool.Exec(ctx, `INSERT INTO enterprises (code, name, division_code, park_code, kind)
		VALUES ('370211901', '黄岛某化工有限公司', '370211', 'HD/370102', '生产')`)
	require.NoError(t, err)
	lx := e.login("lx_staff")
	r = e.do(http.MethodGet, "/api/v1/enterprises/370211901", lx, nil)
	assert.Equal(t, http.StatusForbidden, r.Status, string(r.Raw))
	r = e.do(http.MethodGet, "/api/v1/enterprises", lx, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.NotContains(t, string(r.Raw), "370211901")
	ok, err := e.svc.CanAccessEnterprise(ctx, &identity.User{ID: 3, Domain: "370102"}, "370211901", policy.ObjData, policy.ActRead)
	require.NoError(t, err)
	assert.False(t, ok)
}
