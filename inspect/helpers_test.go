package inspect_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

const testPassword = platformtest.Password

// env is the whole platform started in-process (platformtest.Env).
type env struct{ *platformtest.Env }

// start runs the platform on the test clock (CHEMGUARD_TEST_NOW).
func start(tb testing.TB) *env {
	tb.Helper()
	return startOn(tb, testclock.New(tb))
}

// startOn runs the platform on clk, in parallel with the package's other tests.
func startOn(tb testing.TB, clk *testclock.Clock) *env {
	tb.Helper()
	return &env{platformtest.StartPlatform(tb, clk, nil)}
}

// company registers a company in county with an API key.
func (e *env) company(code, county, name string) simulate.Company {
	e.TB.Helper()
	e.Company(store.Enterprise{Code: code, Name: name, DivisionCode: county, Kind: "生产"})
	return simulate.Company{Code: code, Name: name, County: county}
}

func (e *env) user(username string, role policy.Role, domain string) {
	e.TB.Helper()
	e.User(identity.NewUser{Username: username, DisplayName: username + "姓名", Role: role, Domain: domain})
}

// upload sends one simulated record of each table t as c through the exchange API.
func (e *env) upload(c simulate.Company, recs map[*schemas.Table]simulate.Record) {
	e.TB.Helper()
	for t, rec := range recs {
		up := platformtest.Upload(e.TB, e.App, e.Keys[c.Code], t, rec)
		require.Equalf(e.TB, 200, up.Status, "upload %s: %s", t.Slug, up.Body)
	}
}

// seed uploads today's commitment, a special operation, a risk unit and a
// hazard source for c, and waits until the sink stored them.
func (e *env) seed(c simulate.Company) (hazardCode string) {
	e.TB.Helper()
	r := rand.New(rand.NewPCG(uint64(len(c.Code)), 3))
	now := e.Clock.Now()
	recs := map[*schemas.Table]simulate.Record{}
	for _, t := range []*schemas.Table{schemas.Commitments, schemas.SpecialOperations, schemas.RiskUnits, schemas.HazardSources} {
		recs[t] = simulate.NewRecord(r, t, c, now)
	}
	recs[schemas.Commitments]["COMMIT_PERSON"] = "承诺人" + c.Code
	e.upload(c, recs)
	e.WaitFor(`SELECT count(*) FROM x_commitments WHERE company_code = $1`, 1, c.Code)
	e.WaitFor(`SELECT count(*) FROM x_special_operations WHERE company_code = $1`, 1, c.Code)
	e.WaitFor(`SELECT count(*) FROM x_risk_units WHERE company_code = $1`, 1, c.Code)
	e.WaitFor(`SELECT count(*) FROM x_hazard_sources WHERE company_code = $1`, 1, c.Code)
	return recs[schemas.RiskUnits]["HAZARD_CODE"].(string)
}

// phone is the inspector's phone: a platform session, which also sends records
// with photos as the app's offline queue does.
type phone struct{ *platformtest.Session }

type resp = platformtest.Page

// submit posts a record form as the offline queue does: multipart, asking for JSON.
func (p *phone) submit(form url.Values, photos ...[]byte) resp {
	p.TB.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if !p.NoToken {
		form.Set(csrf.FieldName, p.Token())
	}
	for k, vs := range form {
		for _, v := range vs {
			require.NoError(p.TB, w.WriteField(k, v))
		}
	}
	for i, ph := range photos {
		fw, err := w.CreateFormFile("photos", "photo"+string(rune('0'+i))+".png")
		require.NoError(p.TB, err)
		_, err = fw.Write(ph)
		require.NoError(p.TB, err)
	}
	require.NoError(p.TB, w.Close())
	req, err := http.NewRequest(http.MethodPost, p.Base+"/m/records", &b)
	require.NoError(p.TB, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	return p.Send(req)
}

func (e *env) login(username string) *phone {
	e.TB.Helper()
	s, r := e.Login("/m/login", username, "/m/")
	require.Equal(e.TB, "/m/", r.Location)
	return &phone{s}
}

// photo is a small PNG, as a phone camera's image stands in.
func photo(tb testing.TB, shade uint8) []byte {
	tb.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.Set(0, 0, color.Gray{Y: 255 - shade})
	var b bytes.Buffer
	require.NoError(tb, png.Encode(&b, img))
	return b.Bytes()
}

// warn records an open warning for company in issue 5's warnings table, as the
// warning consumer would, and returns its id.
func (e *env) warn(company, subject, step, tier string) int64 {
	e.TB.Helper()
	var id int64
	require.NoError(e.TB, e.App.Pool.QueryRow(context.Background(), `INSERT INTO warnings (warning_key, company_code, model, subject,
		subject_name, level, score, status, step, tier, config_version, raised_at, updated_at, factors, doc)
		VALUES ($1, $2, 'warehouse', $3, $4, 'red', 91.5, 'open', $5, $6, 'test', now(), now(), '[]', '{}') RETURNING id`,
		"test:"+company+subject, company, subject, subject, step, tier).Scan(&id))
	return id
}
