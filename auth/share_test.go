package auth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The feed gives a city's service account its counties' records, in change
// order, resumable by cursor; a county's account only its county's.
func TestShareFeed(t *testing.T) {
	e := newEnv(t)
	e.addEnterprise("A", "370102", "")
	e.addEnterprise("B", "370103", "")
	e.addEnterprise("C", "370202", "")
	base := time.Now().Add(-time.Hour)
	// Interleaved changes across three companies, two with the same time.
	e.addRecord("B", "b1", base.Add(1*time.Second))
	e.addRecord("A", "a1", base.Add(2*time.Second))
	e.addRecord("C", "c1", base.Add(3*time.Second))
	e.addRecord("A", "a2", base.Add(4*time.Second))
	e.addRecord("B", "b2", base.Add(4*time.Second))
	e.addRecord("A", "a3", base.Add(5*time.Second))
	e.addUser("jn_share", policy.ShareService, "370100")
	e.addUser("lx_share", policy.ShareService, "370102")

	pull := func(tok string, limit string) []string {
		var ids []string
		cursor := ""
		for i := 0; i < 10; i++ {
			r := e.do(http.MethodGet, "/api/v1/share/hidden-dangers?limit="+limit+"&cursor="+cursor, tok, nil)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
			recs := r.Body["records"].([]any)
			if len(recs) == 0 {
				assert.Equal(t, cursor, r.Body["next_cursor"], "an empty page keeps the place")
				return ids
			}
			for _, x := range recs {
				ids = append(ids, x.(map[string]any)["id"].(string))
			}
			cursor = r.Body["next_cursor"].(string)
		}
		t.Fatal("feed did not end")
		return nil
	}
	jn := e.login("jn_share")
	assert.Equal(t, []string{"b1", "a1", "a2", "b2", "a3"}, pull(jn, "2"))
	assert.Equal(t, []string{"a1", "a2", "a3"}, pull(e.login("lx_share"), "1"))

	// A cursor resumes: records changed later come after it.
	r := e.do(http.MethodGet, "/api/v1/share/hidden-dangers?limit=10", jn, nil)
	cursor := r.Body["next_cursor"].(string)
	e.addRecord("B", "b3", base.Add(10*time.Second))
	r = e.do(http.MethodGet, "/api/v1/share/hidden-dangers?limit=10&cursor="+cursor, jn, nil)
	require.Len(t, r.Body["records"], 1)
	assert.Equal(t, "b3", r.Body["records"].([]any)[0].(map[string]any)["id"])

	for _, bad := range []string{"?cursor=%%%", "?limit=0", "?limit=5000", "?limit=abc"} {
		assert.Equal(t, http.StatusBadRequest, e.do(http.MethodGet, "/api/v1/share/hidden-dangers"+bad, jn, nil).Status, bad)
	}
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodGet, "/api/v1/share/no-such-table", jn, nil).Status)
}
