package platformtest

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/testclock"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

// Password is the password of every account Env.User creates.
const Password = "Chemguard-2026"

// Env is the whole platform started in-process for a UI's tests (the portal's, the
// inspector app's), with the company keys and second factors the tests log in and
// upload with.
type Env struct {
	TB    testing.TB
	App   *platform.App
	Clock *testclock.Clock  // the platform's clock; records and sessions are stamped by it
	Keys  map[string]string // company code → exchange API key
	// TOTP is the TOTP secret of each user created with one (roles that need a
	// second factor: the administrators, the province's).
	TOTP map[string]string
}

// StartPlatform runs the platform on clk (testclock.New(tb) if nil), its
// configuration changed by tune (if any) first. The test then runs in parallel with
// its package's others (pgtest.Parallel): it has its own database, platform, port
// and clock.
func StartPlatform(tb testing.TB, clk *testclock.Clock, tune func(*platform.Config)) *Env {
	tb.Helper()
	pgtest.Parallel(tb)
	if clk == nil {
		clk = testclock.New(tb)
	}
	cfg := platform.Config{Now: clk.Now}
	if tune != nil {
		tune(&cfg)
	}
	app := Start(tb, cfg).App
	return &Env{TB: tb, App: app, Clock: clk, Keys: map[string]string{}, TOTP: map[string]string{}}
}

// Company registers ent with an exchange API key, kept in Keys.
func (e *Env) Company(ent store.Enterprise) {
	e.TB.Helper()
	e.Keys[ent.Code] = Company(e.TB, e.App, ent)
}

// User creates the account u (Password unless u brings one) and keeps its TOTP
// secret if its role needs one.
func (e *Env) User(u identity.NewUser) {
	e.TB.Helper()
	if u.Password == "" {
		u.Password = Password
	}
	c, err := e.App.Access.Identity.CreateUser(context.Background(), u, identity.Actor{Name: "test"})
	require.NoError(e.TB, err)
	if c.TOTPSecret != "" {
		e.TOTP[u.Username] = c.TOTPSecret
	}
}

// Count runs a count query on the platform's database.
func (e *Env) Count(sql string, args ...any) int {
	e.TB.Helper()
	var n int
	require.NoError(e.TB, e.App.Pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// WaitFor waits until the count query returns want: records uploaded reach the
// database through Kafka and the sink, not at once.
func (e *Env) WaitFor(sql string, want int, args ...any) {
	e.TB.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := e.Count(sql, args...)
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			e.TB.Fatalf("%s: %d, want %d", sql, n, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Session is a browser's or phone's session with the platform: it holds the
// session cookie (sent by hand: the cookie is Secure and the test server plain HTTP)
// and puts the CSRF token its page would carry into every form it posts.
type Session struct {
	TB     testing.TB
	Base   string // the platform's URL
	Cookie string // the session cookie's value once logged in
	Origin string // sent as Origin on posts when set
	// Pre is the pre-session cookie a login page would have set; forms carry the
	// token of the session (or of Pre before login) unless NoToken.
	Pre     string
	NoToken bool
}

// NewSession is a session with no cookie yet, as a browser that has not logged in.
func (e *Env) NewSession() *Session { return &Session{TB: e.TB, Base: e.App.URL()} }

// Login logs username in on the login form at path (a fresh TOTP code from the
// platform's clock if the user has a second factor) and returns its session and
// the login's answer; the test fails unless it is a redirect setting the cookie.
func (e *Env) Login(path, username, next string) (*Session, Page) {
	e.TB.Helper()
	s := e.NewSession()
	otp := ""
	if secret, ok := e.TOTP[username]; ok {
		e.Clock.Add(31 * time.Second) // a code is accepted once: use a fresh step
		var err error
		otp, err = identity.TOTPCode(secret, e.Clock.Now())
		require.NoError(e.TB, err)
	}
	form := url.Values{"username": {username}, "password": {Password}, "next": {next}}
	if otp != "" {
		form.Set("otp", otp)
	}
	p := s.Login(path, form)
	require.Equal(e.TB, http.StatusSeeOther, p.Status, p.Body)
	require.NotEmpty(e.TB, s.Cookie, "no session cookie")
	return s, p
}

// Page is the platform's answer to a request.
type Page struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

// Token is the CSRF token the session's current page would carry.
func (s *Session) Token() string {
	if s.Cookie != "" {
		return csrf.Token(s.Cookie)
	}
	if s.Pre == "" {
		s.Pre = fmt.Sprintf("pre-%d-%d", time.Now().UnixNano(), rand.Int64())
	}
	return csrf.Token(s.Pre)
}

// Send sends req with the session's cookie (or pre-session cookie), not following
// redirects: the tests check where they lead.
func (s *Session) Send(req *http.Request) Page {
	s.TB.Helper()
	if s.Cookie != "" {
		req.AddCookie(&http.Cookie{Name: identity.CookieName, Value: s.Cookie})
	} else {
		s.Token()
		req.AddCookie(&http.Cookie{Name: csrf.PreSessionCookie, Value: s.Pre})
	}
	client := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(s.TB, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.TB, err)
	return Page{Status: resp.StatusCode, Body: string(raw), Location: resp.Header.Get("Location"), Header: resp.Header}
}

// Do sends method to path, with form (its CSRF token set unless NoToken) as an
// urlencoded body if not nil.
func (s *Session) Do(method, path string, form url.Values) Page {
	s.TB.Helper()
	var body io.Reader
	if form != nil {
		if !s.NoToken {
			form.Set(csrf.FieldName, s.Token())
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.Base+path, body)
	require.NoError(s.TB, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if s.Origin != "" {
			req.Header.Set("Origin", s.Origin)
		}
	}
	return s.Send(req)
}

// Get gets path.
func (s *Session) Get(path string) Page { s.TB.Helper(); return s.Do(http.MethodGet, path, nil) }

// PostForm posts form to path.
func (s *Session) PostForm(path string, form url.Values) Page {
	s.TB.Helper()
	if form == nil {
		form = url.Values{}
	}
	return s.Do(http.MethodPost, path, form)
}

// Login posts form (username, password, otp, next) to the login form at path and
// keeps the session cookie the answer sets, if any.
func (s *Session) Login(path string, form url.Values) Page {
	s.TB.Helper()
	p := s.PostForm(path, form)
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == identity.CookieName {
			s.Cookie = c.Value
		}
	}
	return p
}
