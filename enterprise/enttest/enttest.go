// Package enttest is the base system's test kit, for the foundation's tests
// and every module's: a registered company with a department, a post and one
// member of each company role, each logged in through /e/login as a browser
// would (cookie jar, form token); and the isolation check that walks the
// app's route table and asserts that a member of one company reaches nothing
// of another's. Only tests import it.
package enttest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Password is every test member's password.
const Password = "Anquan#Shengchan2026"

// Roles are the company roles Setup creates a member of, in order.
var Roles = []policy.Role{policy.EnterpriseAdmin, policy.EnterprisePrincipal, policy.EnterpriseSafety,
	policy.EnterpriseDeptHead, policy.EnterpriseStaff, policy.EnterpriseContractor}

// Company is a registered company with its organisation and logged-in members.
type Company struct {
	Code, Name string
	Key        string // the company's exchange API key
	Department enterprise.Department
	Post       enterprise.Post
	// Members are the members by role: username CODE_role (e.g. 370102001_enterprise_staff).
	Members map[policy.Role]enterprise.Person
	// Clients are the members' logged-in browsers, by role.
	Clients map[policy.Role]*Client
}

// Setup registers company code in county on app, gives it the department
// 生产部 with the post 操作工, creates one member of each of Roles (the staff
// member and the department head in 生产部 holding 操作工; the head is also
// the department's 部门负责人) and logs each in.
func Setup(tb testing.TB, app *platform.App, code, county string) *Company {
	tb.Helper()
	ctx := context.Background()
	co := &Company{Code: code, Name: "测试化工有限公司" + code, Members: map[policy.Role]enterprise.Person{},
		Clients: map[policy.Role]*Client{}}
	require.NoError(tb, app.Enterprises.Add(ctx, store.Enterprise{Code: code, Name: co.Name, DivisionCode: county}))
	var err error
	co.Key, err = app.Enterprises.IssueKey(ctx, code)
	require.NoError(tb, err)
	co.Department, err = app.Members.AddDepartment(ctx, code, "生产部")
	require.NoError(tb, err)
	co.Post, err = app.Members.AddPost(ctx, code, co.Department.ID, "操作工")
	require.NoError(tb, err)
	now := time.Now()
	for _, role := range Roles {
		username := code + "_" + string(role)
		created, err := app.Access.Identity.CreateUser(ctx, identity.NewUser{Username: username,
			DisplayName: role.Label() + code, Password: Password, Role: role, Domain: tiers.EnterpriseDomain(code)},
			identity.Actor{Name: "enttest"})
		require.NoError(tb, err, "create %s", username)
		var posts []int64
		dep := int64(0)
		if role == policy.EnterpriseStaff || role == policy.EnterpriseDeptHead {
			dep, posts = co.Department.ID, []int64{co.Post.ID}
		}
		require.NoError(tb, app.Members.SetMembership(ctx, code, created.User.ID, dep, posts, now))
		if role == policy.EnterpriseDeptHead {
			require.NoError(tb, app.Members.UpdateDepartment(ctx, code, co.Department.ID, co.Department.Name, created.User.ID))
			co.Department.HeadID = created.User.ID
		}
		p, err := app.Members.Person(ctx, code, created.User.ID)
		require.NoError(tb, err)
		co.Members[role] = p
	}
	for _, role := range Roles {
		co.Clients[role] = Login(tb, app.URL(), co.Members[role].Username, Password)
	}
	return co
}

// SetMobile gives username the mobile number warning and notice SMS go to, as an
// administrator does through identity (audited as enttest).
func SetMobile(tb testing.TB, app *platform.App, username, mobile string) {
	tb.Helper()
	require.NoError(tb, app.Access.Identity.SetMobile(context.Background(), username, mobile, identity.Actor{Name: "enttest"}))
}

// Client is a browser: a cookie jar and the form token of the last page seen.
type Client struct {
	Base string
	HTTP *http.Client
	csrf string
	tb   testing.TB
}

// NewClient returns a browser without a session.
func NewClient(tb testing.TB, base string) *Client {
	return &Client{Base: base, tb: tb, HTTP: &http.Client{Jar: &clockFreeJar{}, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// clockFreeJar keeps the platform's cookies by name, ignoring their Expires:
// the platform under test runs on a test clock (CHEMGUARD_TEST_NOW may put it
// hours before the machine's time), so a jar that judges expiry by the
// machine's clock — net/http/cookiejar — would drop a fresh session cookie.
// The platform's own clock decides whether a session has expired. A cookie
// the platform clears (MaxAge < 0) is dropped.
type clockFreeJar struct {
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

func (j *clockFreeJar) SetCookies(_ *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cookies == nil {
		j.cookies = map[string]*http.Cookie{}
	}
	for _, c := range cookies {
		if c.MaxAge < 0 {
			delete(j.cookies, c.Name)
			continue
		}
		j.cookies[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value}
	}
}

func (j *clockFreeJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]*http.Cookie, 0, len(j.cookies))
	for _, c := range j.cookies {
		out = append(out, c)
	}
	return out
}

// Login opens /e/login and logs in as username; the test fails unless the
// login is accepted.
func Login(tb testing.TB, base, username, password string) *Client {
	tb.Helper()
	c := NewClient(tb, base)
	c.Get("/e/login")
	r := c.Post("/e/login", url.Values{"username": {username}, "password": {password}})
	require.Equal(tb, http.StatusSeeOther, r.Status, "login %s: %s", username, r.Body)
	return c
}

// Eventually polls cond every 100 ms until it holds and fails the test (naming
// what) when it still does not after within: the waits on the outbox, the
// consumers and the warning engine. Unlike testify's Eventually it calls cond on
// the test's goroutine, so cond may use require with tb and set the test's
// variables.
func Eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("not within %s: %s", within, what)
}

// Reply is an answer.
type Reply struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

var csrfMeta = regexp.MustCompile(`name="csrf_token" value="([^"]+)"|name="csrf-token" content="([^"]*)"`)

// Get fetches path (redirects not followed) and keeps the page's form token.
func (c *Client) Get(path string) Reply {
	c.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, c.Base+path, nil)
	require.NoError(c.tb, err)
	return c.do(req)
}

// Post posts form to path with the last page's form token (fetching path's
// page first when no page was seen yet).
func (c *Client) Post(path string, form url.Values) Reply {
	c.tb.Helper()
	if c.csrf == "" {
		c.Get(path)
	}
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if f.Get("csrf_token") == "" {
		f.Set("csrf_token", c.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, c.Base+path, strings.NewReader(f.Encode()))
	require.NoError(c.tb, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// Do sends req as this browser.
func (c *Client) Do(req *http.Request) Reply {
	c.tb.Helper()
	return c.do(req)
}

func (c *Client) do(req *http.Request) Reply {
	resp, err := c.HTTP.Do(req)
	require.NoError(c.tb, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.tb, err)
	r := Reply{Status: resp.StatusCode, Body: string(b), Location: resp.Header.Get("Location"), Header: resp.Header}
	if m := csrfMeta.FindStringSubmatch(r.Body); m != nil {
		if tok := m[1] + m[2]; tok != "" {
			c.csrf = tok
		}
	}
	return r
}

// paramPattern matches a route parameter (:id, :id?, *).
var paramPattern = regexp.MustCompile(`:[A-Za-z_]+\??|\*`)

// FillParams fills the parameters of a route's path (":name", ":name?" and
// "*", named "*") with value(name), escaped for a path.
func FillParams(path string, value func(name string) string) string {
	return paramPattern.ReplaceAllStringFunc(path, func(p string) string {
		return url.PathEscape(value(strings.TrimSuffix(strings.TrimPrefix(p, ":"), "?")))
	})
}

// AssertIsolated walks every route of routes ("METHOD /path", as
// platform.App.Routes lists them) under enterprise.Prefix as the member
// client of one company and checks that it reaches nothing of another:
//
//   - a route with parameters, filled with the other company's identifiers
//     (others: parameter name → value, e.g. "id" → B's record id; a
//     parameter not in others gets "999999999"), must answer 403 or 404 —
//     for GET and POST alike;
//   - a GET route without parameters must not show any of markers (the
//     other company's code, name, people's names).
//
// Static files, the PWA's files and the login are skipped.
func AssertIsolated(tb testing.TB, routes []string, client *Client, others map[string]string, markers ...string) {
	tb.Helper()
	seen := map[string]bool{}
	for _, rt := range routes {
		method, path, ok := strings.Cut(rt, " ")
		if !ok || (method != http.MethodGet && method != http.MethodPost) || seen[rt] {
			continue
		}
		seen[rt] = true
		if path != enterprise.Prefix && !strings.HasPrefix(path, enterprise.Prefix+"/") {
			continue
		}
		if skipIsolation(path) {
			continue
		}
		if !paramPattern.MatchString(path) {
			if method != http.MethodGet {
				continue
			}
			r := client.Get(path)
			for _, m := range markers {
				assert.NotContains(tb, r.Body, m, "GET %s shows the other company's %q", path, m)
			}
			continue
		}
		filled := FillParams(path, func(name string) string {
			if v, ok := others[name]; ok {
				return v
			}
			return "999999999"
		})
		var r Reply
		if method == http.MethodGet {
			r = client.Get(filled)
		} else {
			client.Get(enterprise.Prefix + "/") // a fresh form token
			r = client.Post(filled, url.Values{})
		}
		assert.Contains(tb, []int{http.StatusForbidden, http.StatusNotFound}, r.Status,
			"%s %s (as %s) answered %d: %.300s", method, filled, rt, r.Status, r.Body)
		for _, m := range markers {
			assert.NotContains(tb, r.Body, m, "%s %s shows the other company's %q", method, filled, m)
		}
	}
}

func skipIsolation(path string) bool {
	for _, p := range []string{"/e/static", "/e/login", "/e/logout", "/e/m/sw.js",
		"/e/m/manifest.webmanifest", "/e/m/offline"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// Describe names a member for messages.
func (co *Company) Describe(role policy.Role) string {
	return fmt.Sprintf("%s of %s", role.Label(), co.Code)
}
