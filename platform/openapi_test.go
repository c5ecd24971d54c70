package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/openapi"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
)

// TestOpenAPIConformance checks the served description against the running server:
// every /api/v1 route of the route table is described; every described operation,
// sent a valid request and an invalid one (no credentials, or a body that is not
// JSON), answers a status the description lists, with a body that validates
// against the description (libopenapi-validator).
func TestOpenAPIConformance(t *testing.T) {
	t.Parallel()
	app, company, key := startWithCompany(t)

	// Data for the valid requests: one stored record of every table.
	r := newRand(11)
	ids := map[string]string{}
	for _, tbl := range schemas.Tables() {
		rec := simulate.NewRecord(r, tbl, company, app.now())
		rep := post(t, app.URL(), key, tbl.Slug, []simulate.Record{rec})
		require.Equal(t, http.StatusOK, rep.Status, "%s: %s", tbl.Slug, rep.Raw)
		ids[tbl.Slug] = fmt.Sprint(rec[tbl.Key])
	}
	// Accounts of each kind the routes need.
	tokens := map[string]string{}
	for name, u := range map[string]struct {
		role   policy.Role
		domain string
	}{"prov": {policy.ProvinceStaff, "370000"}, "share": {policy.ShareService, "370100"},
		"sec": {policy.SecurityAdmin, "370000"}, "sys": {policy.SystemAdmin, "370000"}, "aud": {policy.AuditAdmin, "370000"}} {
		created, err := app.Access.Identity.CreateUser(context.Background(), identity.NewUser{Username: "oa_" + name,
			Password: warnPassword, Role: u.role, Domain: u.domain}, identity.Actor{Name: "cli:test"})
		require.NoError(t, err)
		body := map[string]string{"username": "oa_" + name, "password": warnPassword}
		if created.TOTPSecret != "" {
			body["otp"], err = identity.TOTPCode(created.TOTPSecret, app.now())
			require.NoError(t, err)
		}
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, app.URL()+"/api/v1/auth/login", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		rep := do(t, req)
		require.Equal(t, http.StatusOK, rep.Status, "login %s: %s", name, rep.Raw)
		tokens[name] = rep.Body["token"].(string)
	}

	desc := get(t, app.URL(), "", openapi.Path)
	require.Equal(t, http.StatusOK, desc.Status)
	doc, err := libopenapi.NewDocument(desc.Raw)
	require.NoError(t, err)
	model, err := doc.BuildV3Model()
	require.NoError(t, err)
	require.Equal(t, "3.1.0", model.Model.Version)
	v, errs := validator.NewValidator(doc)
	require.Empty(t, errs)

	// Every route of the route table is described, under its OpenAPI path.
	d, err := app.APIDescription()
	require.NoError(t, err)
	require.Empty(t, d.Undescribed, "routes without a description in openapi/operations.go")
	routes := openapi.RoutesOf(app.HTTP())
	require.Greater(t, len(routes), 40)

	who := func(path string, o *openapi.Operation) string {
		switch {
		case o.Auth == "企业 API 密钥":
			return key
		case o.Auth == "":
			return ""
		case strings.HasPrefix(path, "/api/v1/audit"):
			return tokens["aud"]
		case strings.HasPrefix(path, "/api/v1/share/"):
			return tokens["share"]
		case path == "/api/v1/system/status" || strings.HasPrefix(path, "/api/v1/admin/parks") || strings.HasPrefix(path, "/api/v1/admin/enterprises"):
			return tokens["sys"]
		case strings.HasPrefix(path, "/api/v1/admin/"):
			return tokens["sec"]
		}
		return tokens["prov"]
	}
	fill := func(path string) string {
		slug := ""
		segs := strings.Split(path, "/")
		for i, s := range segs {
			switch s {
			case "{slug}":
				slug = "hidden-dangers"
				segs[i] = slug
			case "{id}":
				segs[i] = "1"
				if len(segs) > 4 && segs[3] == "exchange" {
					segs[i] = ids[segs[4]]
				} else if slug != "" {
					segs[i] = ids[slug]
				}
			case "{code}":
				segs[i] = company.Code
			case "{username}":
				segs[i] = "oa_prov"
			}
		}
		return strings.Join(segs, "/")
	}
	validBody := func(op *openapi.Operation, path string) []byte {
		switch {
		case strings.HasPrefix(path, "/api/v1/exchange/"):
			slug := strings.TrimPrefix(path, "/api/v1/exchange/")
			tbl, err := schemas.Lookup(slug)
			require.NoError(t, err)
			b, _ := json.Marshal([]simulate.Record{simulate.NewRecord(r, tbl, company, app.now())})
			return b
		case path == "/api/v1/auth/login":
			return []byte(`{"username":"oa_prov","password":"` + warnPassword + `"}`)
		}
		return []byte(`{}`)
	}

	checked := 0
	for _, g := range d.Groups() {
		for _, op := range g.Operations {
			op := op
			path := fill(op.Path)
			t.Run(op.Method+" "+op.Path, func(t *testing.T) {
				documented := map[string]bool{}
				for _, rs := range op.Responses {
					documented[rs.Code] = true
				}
				send := func(what, token string, body []byte) {
					var rd io.Reader
					if body != nil {
						rd = bytes.NewReader(body)
					}
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					req, err := http.NewRequestWithContext(ctx, op.Method, app.URL()+path, rd)
					require.NoError(t, err)
					if body != nil {
						req.Header.Set("Content-Type", "application/json")
					}
					if token != "" {
						req.Header.Set("Authorization", "Bearer "+token)
					}
					resp, err := http.DefaultClient.Do(req)
					require.NoError(t, err)
					defer resp.Body.Close()
					code := strconv.Itoa(resp.StatusCode)
					if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
						assert.True(t, documented[code], "%s request: status %s not described", what, code)
						return // a stream: the status and type are the answer
					}
					raw, err := io.ReadAll(resp.Body)
					require.NoError(t, err)
					require.True(t, documented[code], "%s request: status %s not described (%s)", what, code, raw)
					resp.Body = io.NopCloser(bytes.NewReader(raw))
					req.Body = io.NopCloser(bytes.NewReader(body))
					ok, verrs := v.ValidateHttpResponse(req, resp)
					var msgs []string
					for _, e := range verrs {
						msgs = append(msgs, e.Message+": "+e.Reason)
						for _, se := range e.SchemaValidationErrors {
							msgs = append(msgs, "  "+se.FieldPath+" "+se.Reason)
						}
					}
					assert.True(t, ok, "%s request, %s: %s\n%s", what, code, strings.Join(msgs, "\n"), raw)
				}
				var body []byte
				if op.Body != "" {
					body = validBody(&op, op.Path)
				}
				send("valid", who(op.Path, &op), body)
				switch {
				case op.Auth != "":
					send("unauthenticated", "", body)
				case op.Body != "":
					send("malformed", "", []byte(`{"username":`))
				}
			})
			checked++
		}
	}
	assert.GreaterOrEqual(t, checked, len(routes), "every route of the table was exercised")
}
