package portal_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/platform/platformtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/tiers"
)

// region is the platform with companies in three counties of two cities, each
// with a day of simulated data, and regulators at county, city and province.
type region struct {
	*env
	lixia1, lixia2 fixture // 济南市历下区 370102
	shizhong       fixture // 济南市市中区 370103
	shinan         fixture // 青岛市市南区 370202
}

func newRegion(t *testing.T) *region {
	t.Helper()
	e := start(t)
	co := func(code, county, name string) simulate.Company {
		e.company(code, county, name, "生产")
		return simulate.Company{Code: code, Name: name, County: county}
	}
	r := &region{env: e}
	r.lixia1 = e.seed(co("370102001", "370102", "历下甲化工有限公司"), "11")
	r.lixia2 = e.seed(co("370102002", "370102", "历下乙石化有限公司"), "21")
	r.shizhong = e.seed(co("370103001", "370103", "市中丙新材料有限公司"), "44")
	r.shinan = e.seed(co("370202001", "370202", "市南丁氯碱有限公司"), "C1")
	e.stored("370102001", "370102002", "370103001", "370202001")
	for _, f := range []*fixture{&r.lixia1, &r.lixia2, &r.shizhong, &r.shinan} {
		e.warn(f)
	}
	e.user("lixia_staff", policy.CountyStaff, "370102")
	e.user("jinan_staff", policy.CityStaff, "370100")
	e.user("sd_staff", policy.ProvinceStaff, tiers.ProvinceCode)
	return r
}

// hidden asserts that body shows nothing of the companies in others.
func hidden(t *testing.T, body string, others ...fixture) {
	t.Helper()
	for _, o := range others {
		for _, s := range []string{o.Code, o.Name, o.Hazard, o.Indicator, o.Danger, o.Committer, o.WarningSubject} {
			assert.Falsef(t, strings.Contains(body, s), "another region's data on the page: %q", s)
		}
	}
}

// Every page a county regulator opens shows its county's companies and nothing
// of another county's — neither of the same city's nor of another city's — and
// a page asked for another county's company is refused.
func TestCountyRegulatorSeesOnlyItsCounty(t *testing.T) {
	r := newRegion(t)
	b := r.login("lixia_staff")
	others := []fixture{r.shizhong, r.shinan}

	pages := []string{"/portal/", "/portal/companies", "/portal/companies?q=370", "/portal/companies?page=2",
		"/portal/companies/" + r.lixia1.Code, "/portal/companies/" + r.lixia2.Code, "/portal/rejections",
		"/portal/rejections?table=hidden-dangers", "/portal/warnings", "/portal/warnings?level=red&status=all",
		fmt.Sprintf("/portal/warnings/%d", r.lixia1.WarningID), "/portal/?region=370100", "/portal/?region=370200",
		"/portal/companies?region=370202", "/portal/companies?region=370100",
		"/portal/companies/" + r.lixia1.Code + "/indicators/" + r.lixia1.Code + "-T01"}
	for _, tb := range schemas.Tables() {
		pages = append(pages, "/portal/data?table="+tb.Slug, "/portal/data?table="+tb.Slug+"&q=370")
	}
	for _, path := range pages {
		t.Run(path, func(t *testing.T) {
			p := b.Get(path)
			require.Equal(t, http.StatusOK, p.Status, p.Body)
			hidden(t, p.Body, others...)
		})
	}

	t.Run("the list shows the county's companies", func(t *testing.T) {
		p := b.Get("/portal/companies")
		assert.Contains(t, p.Body, r.lixia1.Name)
		assert.Contains(t, p.Body, r.lixia2.Name)
		assert.Contains(t, p.Body, "共 2 家")
	})
	t.Run("home counts the county only", func(t *testing.T) {
		p := b.Get("/portal/")
		assert.Regexp(t, `id="kpi-companies">2<`, p.Body)
		assert.Contains(t, p.Body, "二级动火作业")
		assert.Contains(t, p.Body, "受限空间作业")
		assert.NotContains(t, p.Body, "特级高处作业") // 市中区's operation
		assert.NotContains(t, p.Body, "切水作业")   // 市南区's operation
	})
	t.Run("a division filter narrows, never widens", func(t *testing.T) {
		assert.Contains(t, b.Get("/portal/companies?region=370202").Body, "共 0 家")
		assert.Contains(t, b.Get("/portal/companies?region=370100").Body, "共 2 家")
		assert.NotContains(t, b.Get("/portal/?region=370200").Body, `id="county-table"`)
	})
	t.Run("warnings of the county only", func(t *testing.T) {
		p := b.Get("/portal/warnings?status=all")
		assert.Contains(t, p.Body, r.lixia1.WarningSubject)
		assert.Contains(t, p.Body, r.lixia2.WarningSubject)
	})
	t.Run("live updates of the county only", func(t *testing.T) {
		ev := firstEvent(t, b, "/portal/live")
		assert.Contains(t, ev, "event: stats")
		assert.Contains(t, ev, `"kpi-companies":"2"`)
		assert.Contains(t, ev, `"kpi-online-n":"2"`)
		anon := &browser{&platformtest.Session{TB: t, Base: b.Base}}
		assert.Equal(t, http.StatusSeeOther, anon.Get("/portal/live").Status)
	})
	t.Run("rejections of the county only", func(t *testing.T) {
		p := b.Get("/portal/rejections")
		assert.Contains(t, p.Body, "共 2 条")
	})

	refused := []string{
		"/portal/companies/" + r.shizhong.Code, // same city, other county
		"/portal/companies/" + r.shinan.Code,   // other city
		"/portal/companies/370102999",          // unregistered: refused, not 404, outside the province tier
		"/portal/data?company=" + r.shinan.Code,
		"/portal/data?table=hidden-dangers&company=" + r.shizhong.Code,
		"/portal/rejections?company=" + r.shinan.Code,
		fmt.Sprintf("/portal/warnings/%d", r.shizhong.WarningID),
		fmt.Sprintf("/portal/warnings/%d", r.shinan.WarningID),
		"/portal/warnings/999999", // unknown: refused, not 404, outside the province tier
		"/portal/companies/" + r.shinan.Code + "/indicators/" + r.shinan.Code + "-T01",
		"/portal/companies/" + r.shinan.Code + "/indicators/" + r.shinan.Code + "-T01?range=30d",
	}
	for _, path := range refused {
		t.Run("refused "+path, func(t *testing.T) {
			p := b.Get(path)
			assert.Equal(t, http.StatusForbidden, p.Status)
			assert.Contains(t, p.Body, "无权访问")
			hidden(t, p.Body, others...)
		})
	}
}

// A city regulator reaches every county of its city and no other city; the
// province reaches all, and only it learns that a code is unregistered (404).
func TestCityAndProvinceScopes(t *testing.T) {
	r := newRegion(t)
	city := r.login("jinan_staff")
	p := city.Get("/portal/companies")
	require.Equal(t, http.StatusOK, p.Status)
	for _, f := range []fixture{r.lixia1, r.lixia2, r.shizhong} {
		assert.Contains(t, p.Body, f.Name)
	}
	hidden(t, p.Body, r.shinan)
	assert.Equal(t, http.StatusOK, city.Get("/portal/companies/"+r.shizhong.Code).Status)
	assert.Equal(t, http.StatusForbidden, city.Get("/portal/companies/"+r.shinan.Code).Status)
	home := city.Get("/portal/")
	assert.Regexp(t, `id="kpi-companies">3<`, home.Body)
	hidden(t, home.Body, r.shinan)

	assert.Contains(t, home.Body, `<th scope="row">历下区</th><td><a href="/portal/companies?region=370102">2</a>`, "下钻 to the city's counties")
	assert.Contains(t, home.Body, `<th scope="row">市中区</th><td><a href="/portal/companies?region=370103">1</a>`)
	p = city.Get("/portal/companies?region=370103")
	assert.Contains(t, p.Body, r.shizhong.Name)
	assert.Contains(t, p.Body, "共 1 家")
	hidden(t, p.Body, r.lixia1, r.lixia2, r.shinan)
	assert.Equal(t, http.StatusUnprocessableEntity, city.Get("/portal/companies?region=999999").Status)

	prov := r.login("sd_staff")
	drill := prov.Get("/portal/?region=370200")
	assert.Contains(t, drill.Body, `<th scope="row">市南区</th><td><a href="/portal/companies?region=370202">1</a>`)
	assert.NotContains(t, drill.Body, "历下区")
	p = prov.Get("/portal/")
	assert.Regexp(t, `id="kpi-companies">4<`, p.Body)
	assert.Equal(t, http.StatusOK, prov.Get("/portal/companies/"+r.shinan.Code).Status)
	assert.Equal(t, http.StatusNotFound, prov.Get("/portal/companies/370102999").Status)
	assert.Equal(t, http.StatusNotFound, prov.Get("/portal/warnings/999999").Status)
	assert.Equal(t, http.StatusOK, prov.Get(fmt.Sprintf("/portal/warnings/%d", r.shinan.WarningID)).Status)
	assert.Equal(t, http.StatusForbidden, city.Get(fmt.Sprintf("/portal/warnings/%d", r.shinan.WarningID)).Status)
	p = prov.Get("/portal/companies?q=" + url.QueryEscape("市南丁"))
	assert.Contains(t, p.Body, r.shinan.Name)
	assert.Contains(t, p.Body, "共 1 家")
}

// 企业一张图 shows every section from the uploaded (simulated) records, and 数据浏览
// and the rejections page show records and errors.
func TestPagesRenderSimulatedData(t *testing.T) {
	r := newRegion(t)
	b := r.login("lixia_staff")
	f := r.lixia1

	p := b.Get("/portal/companies/" + f.Code)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	for _, want := range []string{"企业一张图", f.Name, f.Hazard, f.Indicator, f.Reading, f.Danger, f.Committer,
		"二级动火作业", `id="video-alarms"`, `id="positioning-alarms"`, "今日安全承诺"} {
		assert.Contains(t, p.Body, want)
	}
	assert.NotContains(t, p.Body, "今日未承诺")
	assert.Contains(t, p.Body, f.WarningSubject)
	assert.Contains(t, p.Body, "红色（重大）")
	assert.Contains(t, p.Body, "已发布，待企业签收")
	assert.NotContains(t, p.Body, r.lixia2.WarningSubject)

	home := b.Get("/portal/")
	assert.Regexp(t, `id="kpi-hazards">2<`, home.Body)
	assert.Regexp(t, `id="kpi-online-n">2<`, home.Body)
	done := regexp.MustCompile(`id="commit-done">(\d+)<`).FindStringSubmatch(home.Body)
	late := regexp.MustCompile(`id="commit-late">(\d+)<`).FindStringSubmatch(home.Body)
	require.Len(t, done, 2)
	require.Len(t, late, 2)
	assert.Equal(t, 2, atoi(done[1])+atoi(late[1]), "both companies committed today")
	assert.Regexp(t, `id="commit-missing">0<`, home.Body)
	assert.Regexp(t, `id="kpi-rejected-n">2<`, home.Body)
	assert.Regexp(t, `id="warn-red">[2-9]<`, home.Body, "both companies' red warnings (the engine may add its own)")
	assert.Contains(t, home.Body, `/portal/static/echarts/echarts.min.js`)
	assert.Contains(t, home.Body, `"name":"济南市","value":2,"warnings":`)

	img := regexp.MustCompile(`<img class="shot" src="(/portal/companies/` + f.Code + `/video-alarms/video-alarms/[^"]+/image)" alt="[^"]+报警图片`).
		FindStringSubmatch(p.Body)
	require.Len(t, img, 2, "the video alarm's image")
	shot := b.Get(img[1])
	require.Equal(t, http.StatusOK, shot.Status)
	assert.Equal(t, "image/png", shot.Header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(shot.Body, "\x89PNG"), "the stored PNG")
	other := strings.Replace(img[1], f.Code, r.shinan.Code, 1)
	assert.Equal(t, http.StatusForbidden, b.Get(other).Status, "another county's alarm image")
	assert.Equal(t, http.StatusNotFound, b.Get(strings.Replace(img[1], "/video-alarms/video-alarms/", "/video-alarms/x/", 1)).Status)
	assert.Contains(t, p.Body, `href="/portal/companies/`+f.Code+`/indicators/`+f.Code+`-T01"`)
	trend := b.Get("/portal/companies/" + f.Code + "/indicators/" + f.Code + "-T01")
	require.Equal(t, http.StatusOK, trend.Status, trend.Body)
	for _, want := range []string{f.Indicator, "近 24 小时趋势", `id="trend-data"`, `"v":"12.34"`, "<td>12.34</td>", "/portal/static/echarts/echarts.min.js"} {
		assert.Contains(t, trend.Body, want)
	}
	// The thresholds by name, the unset ones left out (never "/ / 20 / 40").
	assert.Regexp(t, `id="limits">高报 [0-9.]+ [^；<]+；高高报 [0-9.]+ `, trend.Body)
	assert.NotContains(t, trend.Body, " / / ")
	assert.Contains(t, trend.Body, `"range_high":`)
	assert.Equal(t, http.StatusNotFound, b.Get("/portal/companies/"+f.Code+"/indicators/NO-SUCH").Status)

	w := b.Get(fmt.Sprintf("/portal/warnings/%d", f.WarningID))
	require.Equal(t, http.StatusOK, w.Status, w.Body)
	for _, want := range []string{f.WarningSubject, f.Name, "红色（重大）", "高高报报警", "40.0", "预警发布", "原因" + f.Code, "已发布，待企业签收"} {
		assert.Contains(t, w.Body, want)
	}
	list := b.Get("/portal/warnings?level=red")
	assert.Contains(t, list.Body, f.WarningSubject)
	assert.NotContains(t, b.Get("/portal/warnings?level=blue").Body, f.WarningSubject)
	assert.Equal(t, http.StatusUnprocessableEntity, b.Get("/portal/warnings?level=purple").Status)

	data := b.Get("/portal/data?table=hidden-dangers&company=" + f.Code)
	assert.Contains(t, data.Body, f.Danger)
	assert.NotContains(t, data.Body, r.lixia2.Danger)
	assert.Contains(t, data.Body, "共 1 条")
	search := b.Get("/portal/data?table=hidden-dangers&q=" + url.QueryEscape(r.lixia2.Danger))
	assert.Contains(t, search.Body, r.lixia2.Danger)
	assert.NotContains(t, search.Body, f.Danger)

	rej := b.Get("/portal/rejections?company=" + f.Code)
	assert.Contains(t, rej.Body, "共 1 条")
	assert.Contains(t, rej.Body, "隐患信息")
	assert.Regexp(t, `<ul class="errors"><li>.+</li>`, rej.Body, "the rejection's message_zh")
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// Without a session every page redirects to the login page; the login form sets
// the session cookie like the API's login; logout and idle expiry end it.
func TestLoginLogoutAndExpiry(t *testing.T) {
	e := start(t)
	e.company("370102001", "370102", "历下甲化工有限公司", "生产")
	e.user("lixia_staff", policy.CountyStaff, "370102")
	anon := &browser{&platformtest.Session{TB: t, Base: e.App.URL()}}

	for _, path := range []string{"/portal/", "/portal/companies", "/portal/companies/370102001", "/portal/data", "/portal/rejections"} {
		p := anon.Get(path)
		assert.Equal(t, http.StatusSeeOther, p.Status, path)
		assert.Equal(t, "/portal/login?next="+url.QueryEscape(path), p.Location, path)
	}
	root := anon.Get("/")
	assert.Equal(t, http.StatusFound, root.Status)
	assert.Equal(t, "/portal/", root.Location)

	bad := anon.Do(http.MethodPost, "/portal/login", url.Values{"username": {"lixia_staff"}, "password": {"wrong-Password1"}})
	assert.Equal(t, http.StatusUnauthorized, bad.Status)
	assert.Contains(t, bad.Body, `role="alert"`)
	assert.Contains(t, bad.Body, "用户名、密码或动态口令错误")
	assert.Contains(t, bad.Body, `value="lixia_staff"`, "the username is kept")

	p := anon.Do(http.MethodPost, "/portal/login", url.Values{"username": {"lixia_staff"}, "password": {testPassword},
		"next": {"/portal/companies"}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	assert.Equal(t, "/portal/companies", p.Location)
	cookie := p.Header.Get("Set-Cookie")
	assert.Contains(t, cookie, identity.CookieName+"=cgs_")
	assert.Contains(t, strings.ToLower(cookie), "httponly")
	assert.Contains(t, strings.ToLower(cookie), "secure")
	assert.Contains(t, strings.ToLower(cookie), "samesite=strict")

	offsite := anon.Do(http.MethodPost, "/portal/login", url.Values{"username": {"lixia_staff"}, "password": {testPassword},
		"next": {"//evil.example/"}})
	assert.Equal(t, "/portal/", offsite.Location, "no redirect out of the portal")

	b := e.login("lixia_staff")
	home := b.Get("/portal/")
	require.Equal(t, http.StatusOK, home.Status)
	assert.Contains(t, home.Body, "济南市历下区")
	assert.Contains(t, home.Body, "县级监管人员")
	assert.Equal(t, "no-store", home.Header.Get("Cache-Control"))

	out := b.Do(http.MethodPost, "/portal/logout", url.Values{})
	assert.Equal(t, http.StatusSeeOther, out.Status)
	assert.Equal(t, "/portal/login", out.Location)
	assert.Equal(t, http.StatusSeeOther, b.Get("/portal/").Status, "the revoked session no longer works")

	idle := e.login("lixia_staff")
	require.Equal(t, http.StatusOK, idle.Get("/portal/").Status)
	e.Clock.Add(identity.DefaultIdleTimeout + time.Minute)
	p = idle.Get("/portal/companies")
	assert.Equal(t, http.StatusSeeOther, p.Status, "an idle session expires")
	assert.Contains(t, p.Header.Get("Set-Cookie"), identity.CookieName+"=;", "the stale cookie is cleared")

	// The home page's live updates (/portal/live, reconnected every few minutes
	// by an open page) are not the user's activity: a screen left open still
	// idles out.
	unattended := e.login("lixia_staff")
	require.Equal(t, http.StatusOK, unattended.Get("/portal/").Status)
	for range 2 {
		e.Clock.Add(identity.DefaultIdleTimeout / 3)
		firstEvent(t, unattended, "/portal/live")
	}
	e.Clock.Add(identity.DefaultIdleTimeout / 2)
	assert.Equal(t, http.StatusSeeOther, unattended.Get("/portal/").Status, "live updates do not keep a session alive")

	cross := &browser{&platformtest.Session{TB: t, Base: e.App.URL(), Origin: "http://evil.example"}}
	p = cross.Do(http.MethodPost, "/portal/login", url.Values{"username": {"lixia_staff"}, "password": {testPassword}})
	assert.Equal(t, http.StatusForbidden, p.Status, "a cross-origin form post is refused")
	assert.Empty(t, p.Header.Get("Set-Cookie"))
	same := &browser{&platformtest.Session{TB: t, Base: e.App.URL(), Origin: e.App.URL()}}
	assert.Equal(t, http.StatusSeeOther, same.Do(http.MethodPost, "/portal/login",
		url.Values{"username": {"lixia_staff"}, "password": {testPassword}}).Status)

	garbage := &browser{&platformtest.Session{TB: t, Base: e.App.URL(), Cookie: "cgs_not-a-token"}}
	assert.Equal(t, http.StatusSeeOther, garbage.Get("/portal/").Status)
}

var (
	inputTag  = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	attrID    = regexp.MustCompile(`\bid="([^"]+)"`)
	attrType  = regexp.MustCompile(`\btype="([^"]+)"`)
	labelFor  = regexp.MustCompile(`<label for="([^"]+)"`)
	tabindex  = regexp.MustCompile(`tabindex="([1-9][0-9]*)"`)
	remoteSrc = regexp.MustCompile(`(src|href)="(https?:)?//`)
)

// Every form control has a label (label for= its id), forms submit with a real
// button, nothing takes a positive tabindex, a skip link leads to the content,
// and no page loads anything from another host.
func TestFormsAreLabelledAndKeyboardUsable(t *testing.T) {
	e := start(t)
	e.company("370102001", "370102", "历下甲化工有限公司", "生产")
	e.user("lixia_staff", policy.CountyStaff, "370102")
	b := e.login("lixia_staff")
	anon := &browser{&platformtest.Session{TB: t, Base: e.App.URL()}}
	f := fixture{Code: "370102001"}
	e.warn(&f)
	warningID := f.WarningID
	pages := map[string]page{
		"login":      anon.Get("/portal/login"),
		"home":       b.Get("/portal/"),
		"companies":  b.Get("/portal/companies"),
		"company":    b.Get("/portal/companies/370102001"),
		"data":       b.Get("/portal/data"),
		"rejections": b.Get("/portal/rejections"),
		"warnings":   b.Get("/portal/warnings"),
		"warning":    b.Get(fmt.Sprintf("/portal/warnings/%d", warningID)),
	}
	for name, p := range pages {
		t.Run(name, func(t *testing.T) { accessible(t, p) })
	}
}

// accessible asserts that p is a page anyone can use with the keyboard, every
// control labelled, and all its assets from the binary.
func accessible(t *testing.T, p page) {
	t.Helper()
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	labels := map[string]bool{}
	for _, m := range labelFor.FindAllStringSubmatch(p.Body, -1) {
		labels[m[1]] = true
	}
	for _, tag := range inputTag.FindAllString(p.Body, -1) {
		if ty := attrType.FindStringSubmatch(tag); ty != nil && ty[1] == "hidden" {
			continue
		}
		id := attrID.FindStringSubmatch(tag)
		require.NotNil(t, id, "control without id: %s", tag)
		assert.True(t, labels[id[1]], "no <label for=%q>: %s", id[1], tag)
	}
	if strings.Contains(p.Body, "<form") {
		assert.Contains(t, p.Body, `<button type="submit">`)
	}
	assert.Empty(t, tabindex.FindAllString(p.Body, -1), "positive tabindex breaks keyboard order")
	assert.Contains(t, p.Body, `<a class="skip" href="#main">`)
	assert.Contains(t, p.Body, `<html lang="zh-CN">`)
	assert.Empty(t, remoteSrc.FindAllString(p.Body, -1), "assets must come from the binary")
}

// The assets are embedded: echarts 4.9.0 with its licence header, the Shandong
// map, the portal's CSS and JavaScript.
func TestAssetsAreEmbedded(t *testing.T) {
	e := start(t)
	anon := &browser{&platformtest.Session{TB: t, Base: e.App.URL()}}
	for path, want := range map[string]string{
		"/portal/static/echarts/echarts.min.js": "Licensed to the Apache Software Foundation",
		"/portal/static/echarts/shandong.json":  `"name":"济南市"`,
		"/portal/static/echarts/LICENSE":        "Apache License",
		"/portal/static/app.css":                ".skip",
		"/portal/static/app.js":                 "registerMap('shandong'",
	} {
		p := anon.Get(path)
		assert.Equal(t, http.StatusOK, p.Status, path)
		assert.Contains(t, p.Body, want, path)
	}
}

// firstEvent reads a server-sent-events stream up to its first data line.
func firstEvent(t *testing.T, b *browser, path string) string {
	t.Helper()
	resp := openLive(t, b, path)
	defer resp.Body.Close()
	var out strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "data: ") {
			break
		}
	}
	return out.String()
}

// addReadings stores readings of company's indicator in the typed series, every
// step from first to last, all value except the last (lastValue).
func addReadings(t *testing.T, r *region, company, indicator string, first, last time.Time, step time.Duration, value, lastValue string) {
	t.Helper()
	_, err := r.App.Pool.Exec(context.Background(), `INSERT INTO ts_sensor_readings
		(company_code, indicator_code, collect_time, value, received_at)
		SELECT $1, $2, at, CASE WHEN at = $4::timestamptz THEN $7 ELSE $6 END::float8, at
		FROM generate_series($3::timestamptz, $4::timestamptz, $5::interval) AS at`,
		company, indicator, first, last, step, value, lastValue)
	require.NoError(t, err)
}

// The 24-hour trend is one point per minute; an indicator read every 15 s shows
// its latest reading in the table and as the greatest of its last minute.
func TestTrendShowsTheLatestReadings(t *testing.T) {
	r := newRegion(t)
	f := r.lixia1
	last := r.Clock.Now().Add(-time.Minute).Truncate(time.Second)
	addReadings(t, r, f.Code, f.Code+"-T01", last.Add(-22*time.Hour), last, 15*time.Second, "11.11", "77.77")
	trend := r.login("lixia_staff").Get("/portal/companies/" + f.Code + "/indicators/" + f.Code + "-T01")
	require.Equal(t, http.StatusOK, trend.Status, trend.Body)
	assert.True(t, strings.Contains(trend.Body, `"hi":"77.77"`), "the latest reading is on the chart")
	assert.True(t, strings.Contains(trend.Body, "<td>77.77</td>"), "the latest reading is in the table")
	assert.Contains(t, trend.Body, `"lo":"11.11"`)
	assert.Contains(t, trend.Body, "近 24 小时趋势")
	assert.Equal(t, 50, strings.Count(trend.Body, "<tr><td>"+last.Format("2006-01-02")[:4]), "the table lists the latest 50")
}

// The trend offers 7 and 30 days, per hour: a month of hourly readings shows
// 24×7 or 24×30 points and counts, the chosen range is marked, a range not
// offered is refused naming the ones that are.
func TestTrendRanges(t *testing.T) {
	r := newRegion(t)
	f := r.lixia1
	b := r.login("lixia_staff")
	now := r.Clock.Now()
	last := now.Add(-time.Minute).Truncate(time.Hour)
	// A second indicator like T01, read hourly for 40 days; the newest hour reads 55.5.
	_, err := r.App.Pool.Exec(context.Background(), `INSERT INTO x_indicators
		SELECT company_code, $2, deleted, event_time, version, gen_random_uuid(), received_at, updated_at,
			jsonb_set(doc, '{INDICATOR_CODE}', to_jsonb($2::text))
		FROM x_indicators WHERE company_code = $1 AND record_key = $1 || '-T01'`, f.Code, f.Code+"-T02")
	require.NoError(t, err)
	addReadings(t, r, f.Code, f.Code+"-T02", last.Add(-40*24*time.Hour), last, time.Hour, "20", "55.5")
	base := "/portal/companies/" + f.Code + "/indicators/" + f.Code + "-T02"
	for _, c := range []struct {
		query, label string
		readings     int
	}{
		{"?range=7d", "近 7 天", 7 * 24},
		{"?range=30d", "近 30 天", 30 * 24},
		{"", "近 24 小时", 24},
	} {
		t.Run(c.label, func(t *testing.T) {
			p := b.Get(base + c.query)
			require.Equal(t, http.StatusOK, p.Status, p.Body)
			assert.Contains(t, p.Body, c.label+"趋势")
			assert.Regexp(t, `aria-current="page">`+c.label+`<`, p.Body)
			// The range's readings, give or take the one at its start.
			m := regexp.MustCompile(`id="reading-count">(\d+) 条`).FindStringSubmatch(p.Body)
			require.NotNil(t, m, p.Body)
			n, _ := strconv.Atoi(m[1])
			assert.InDelta(t, c.readings, n, 1)
			assert.InDelta(t, c.readings, strings.Count(p.Body, `"n":1`), 1, "one point per hour")
			assert.Contains(t, p.Body, `"v":"55.5"`, "the newest hour is on the chart")
			assert.Contains(t, p.Body, `"v":"20"`)
		})
	}
	bad := b.Get(base + "?range=1y")
	assert.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	assert.Contains(t, bad.Body, "趋势范围「1y」无效")
}

// A warning nobody signs for gets a reminder every few minutes; after days its
// timeline still shows the latest steps (the escalation), not only the first
// events.
func TestWarningTimelineShowsTheLatestEvents(t *testing.T) {
	e := start(t)
	e.company("370102001", "370102", "历下甲化工有限公司", "生产")
	e.user("lixia_staff", policy.CountyStaff, "370102")
	f := fixture{Code: "370102001"}
	e.warn(&f)
	_, err := e.App.Pool.Exec(context.Background(), `INSERT INTO warning_events (warning_id, kind, at, level, step, tier, reason)
		SELECT $1, 'reminder', now() - interval '3 days' + n * interval '5 minutes', 'red', 'published', 'county', '提醒' || n
		FROM generate_series(1, 700) AS n`, f.WarningID)
	require.NoError(t, err)
	_, err = e.App.Pool.Exec(context.Background(), `INSERT INTO warning_events (warning_id, kind, at, level, step, tier, reason)
		VALUES ($1, 'disposal_escalated', now(), 'red', 'published', 'city', '逾期未签收，上报市级')`, f.WarningID)
	require.NoError(t, err)
	p := e.login("lixia_staff").Get(fmt.Sprintf("/portal/warnings/%d", f.WarningID))
	require.Equal(t, http.StatusOK, p.Status)
	assert.True(t, strings.Contains(p.Body, "逾期未签收，上报市级"), "the latest event is on the timeline")
	assert.True(t, strings.Contains(p.Body, "提醒700<"), "the latest reminder is on the timeline")
	assert.True(t, strings.Contains(p.Body, "原因"+f.Code), "the warning's first event is on the timeline")
	assert.True(t, strings.Contains(p.Body, "较早的"), "the page says events were left out")
}

// The timeline's notifications: who was told of each step, by which channel and
// whether it got through — mobiles masked, webhook addresses (which may carry a
// token) and the log not shown.
func TestWarningShowsItsNotifications(t *testing.T) {
	e := start(t)
	e.company("370102001", "370102", "历下甲化工有限公司", "生产")
	e.user("lixia_staff", policy.CountyStaff, "370102")
	f := fixture{Code: "370102001"}
	e.warn(&f)
	_, err := e.App.Pool.Exec(context.Background(), `INSERT INTO warning_notifications (event_id, target, recipient,
		recipient_name, status, attempts, last_error, sent_at, updated_at)
		SELECT e.id, n.target, n.recipient, n.name, n.status, 1, n.err, CASE WHEN n.status = 'sent' THEN now() END, now()
		FROM warning_events e, (VALUES ('sms:gw.example/send', '13812345678', '张安全', 'sent', ''),
			('sms:gw.example/send', '', '', 'sent', '1 人 recipients'),
			('webhook:https://hook.example/x?token=s3cret', '', '', 'failed', 'HTTP 502'),
			('log', '', '', 'sent', '')) AS n(target, recipient, name, status, err)
		WHERE e.warning_id = $1`, f.WarningID)
	require.NoError(t, err)
	p := e.login("lixia_staff").Get(fmt.Sprintf("/portal/warnings/%d", f.WarningID))
	require.Equal(t, http.StatusOK, p.Status)
	n := section(p.Body, `id="notifications"`)
	for _, want := range []string{"短信", "张安全", "138****5678", "已发送", "接口推送", "发送失败", "HTTP 502"} {
		assert.Contains(t, n, want)
	}
	for _, never := range []string{"13812345678", "s3cret", "hook.example", "1 人 recipients"} {
		assert.NotContains(t, p.Body, never)
	}
	assert.Equal(t, 2, strings.Count(n, "<tr><td>"), "one row per person told and per channel")
}
