package inspect_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

const testPassword = "Chemguard-2026"

// env is the whole platform started in-process.
type env struct {
	tb    testing.TB
	app   *platform.App
	keys  map[string]string
	clock *testclock.Clock // the platform's clock; records are stamped by it too
}

// start runs the platform on the test clock (CHEMGUARD_TEST_NOW).
func start(tb testing.TB) *env {
	tb.Helper()
	return startOn(tb, testclock.New(tb))
}

// startOn runs the platform on clk. The test then runs in parallel with the
// package's others (pgtest.Parallel): it has its own database, platform, port and
// clock.
func startOn(tb testing.TB, clk *testclock.Clock) *env {
	tb.Helper()
	pgtest.Parallel(tb)
	app := platformtest.Start(tb, platform.Config{Now: clk.Now}).App
	return &env{tb: tb, app: app, keys: map[string]string{}, clock: clk}
}

// company registers a company in county with an API key.
func (e *env) company(code, county, name string) simulate.Company {
	e.tb.Helper()
	e.keys[code] = platformtest.Company(e.tb, e.app, store.Enterprise{Code: code, Name: name, DivisionCode: county, Kind: "生产"})
	return simulate.Company{Code: code, Name: name, County: county}
}

func (e *env) user(username string, role policy.Role, domain string) {
	e.tb.Helper()
	_, err := e.app.Access.Identity.CreateUser(context.Background(), identity.NewUser{Username: username,
		DisplayName: username + "姓名", Password: testPassword, Role: role, Domain: domain}, identity.Actor{Name: "test"})
	require.NoError(e.tb, err)
}

// upload sends one simulated record of each table t as c through the exchange API.
func (e *env) upload(c simulate.Company, recs map[*schemas.Table]simulate.Record) {
	e.tb.Helper()
	for t, rec := range recs {
		up := platformtest.Upload(e.tb, e.app, e.keys[c.Code], t, rec)
		require.Equalf(e.tb, 200, up.Status, "upload %s: %s", t.Slug, up.Body)
	}
}

// seed uploads today's commitment, a special operation, a risk unit and a
// hazard source for c, and waits until the sink stored them.
func (e *env) seed(c simulate.Company) (hazardCode string) {
	e.tb.Helper()
	r := rand.New(rand.NewPCG(uint64(len(c.Code)), 3))
	now := e.clock.Now()
	recs := map[*schemas.Table]simulate.Record{}
	for _, t := range []*schemas.Table{schemas.Commitments, schemas.SpecialOperations, schemas.RiskUnits, schemas.HazardSources} {
		recs[t] = simulate.NewRecord(r, t, c, now)
	}
	recs[schemas.Commitments]["COMMIT_PERSON"] = "承诺人" + c.Code
	e.upload(c, recs)
	e.waitFor(`SELECT count(*) FROM x_commitments WHERE company_code = $1`, 1, c.Code)
	e.waitFor(`SELECT count(*) FROM x_special_operations WHERE company_code = $1`, 1, c.Code)
	e.waitFor(`SELECT count(*) FROM x_risk_units WHERE company_code = $1`, 1, c.Code)
	e.waitFor(`SELECT count(*) FROM x_hazard_sources WHERE company_code = $1`, 1, c.Code)
	return recs[schemas.RiskUnits]["HAZARD_CODE"].(string)
}

// waitFor waits until the count query returns want.
func (e *env) waitFor(sql string, want int, args ...any) {
	e.tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		require.NoError(e.tb, e.app.Pool.QueryRow(context.Background(), sql, args...).Scan(&n))
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			e.tb.Fatalf("%s: %d, want %d", sql, n, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *env) count(sql string, args ...any) int {
	e.tb.Helper()
	var n int
	require.NoError(e.tb, e.app.Pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// phone is a client holding the session cookie (sent by hand: the cookie is
// Secure and the test server plain HTTP).
type phone struct {
	tb      testing.TB
	base    string
	session string
	// pre is the pre-session cookie the login page would have set; forms carry
	// the token of the session (or of pre before login) unless noToken.
	pre     string
	noToken bool
}

// token is the CSRF token the phone's current page would carry.
func (p *phone) token() string {
	if p.session == "" && p.pre == "" {
		p.pre = fmt.Sprintf("pre-%d", time.Now().UnixNano())
	}
	if p.session != "" {
		return csrf.Token(p.session)
	}
	return csrf.Token(p.pre)
}

type resp struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (p *phone) do(req *http.Request) resp {
	p.tb.Helper()
	if p.session != "" {
		req.AddCookie(&http.Cookie{Name: identity.CookieName, Value: p.session})
	} else if p.pre != "" {
		req.AddCookie(&http.Cookie{Name: csrf.PreSessionCookie, Value: p.pre})
	}
	client := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := client.Do(req)
	require.NoError(p.tb, err)
	defer r.Body.Close()
	raw, err := io.ReadAll(r.Body)
	require.NoError(p.tb, err)
	return resp{Status: r.StatusCode, Body: string(raw), Location: r.Header.Get("Location"), Header: r.Header}
}

func (p *phone) get(path string) resp {
	p.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, p.base+path, nil)
	require.NoError(p.tb, err)
	return p.do(req)
}

func (p *phone) postForm(path string, form url.Values) resp {
	p.tb.Helper()
	if !p.noToken {
		form.Set(csrf.FieldName, p.token())
	}
	req, err := http.NewRequest(http.MethodPost, p.base+path, strings.NewReader(form.Encode()))
	require.NoError(p.tb, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return p.do(req)
}

// submit posts a record form as the offline queue does: multipart, asking for JSON.
func (p *phone) submit(form url.Values, photos ...[]byte) resp {
	p.tb.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if !p.noToken {
		form.Set(csrf.FieldName, p.token())
	}
	for k, vs := range form {
		for _, v := range vs {
			require.NoError(p.tb, w.WriteField(k, v))
		}
	}
	for i, ph := range photos {
		fw, err := w.CreateFormFile("photos", "photo"+string(rune('0'+i))+".png")
		require.NoError(p.tb, err)
		_, err = fw.Write(ph)
		require.NoError(p.tb, err)
	}
	require.NoError(p.tb, w.Close())
	req, err := http.NewRequest(http.MethodPost, p.base+"/m/records", &b)
	require.NoError(p.tb, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	return p.do(req)
}

func (e *env) login(username string) *phone {
	e.tb.Helper()
	p := &phone{tb: e.tb, base: e.app.URL()}
	r := p.postForm("/m/login", url.Values{"username": {username}, "password": {testPassword}, "next": {"/m/"}})
	require.Equal(e.tb, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(e.tb, "/m/", r.Location)
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == identity.CookieName {
			p.session = c.Value
		}
	}
	require.NotEmpty(e.tb, p.session)
	return p
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
	e.tb.Helper()
	var id int64
	require.NoError(e.tb, e.app.Pool.QueryRow(context.Background(), `INSERT INTO warnings (warning_key, company_code, model, subject,
		subject_name, level, score, status, step, tier, config_version, raised_at, updated_at, factors, doc)
		VALUES ($1, $2, 'warehouse', $3, $4, 'red', 91.5, 'open', $5, $6, 'test', now(), now(), '[]', '{}') RETURNING id`,
		"test:"+company+subject, company, subject, subject, step, tier).Scan(&id))
	return id
}
