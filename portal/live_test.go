package portal_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/portal"
	"github.com/shandong-emergency/chemguard/readmodel"
)

// liveMap is the "map" event of /portal/live.
type liveMap struct {
	Cities []portal.CityPoint `json:"cities"`
	Drill  *struct {
		City      string                 `json:"city"`
		County    string                 `json:"county"`
		Counties  []portal.CityPoint     `json:"counties"`
		Companies []readmodel.MapCompany `json:"companies"`
	} `json:"drill"`
}

// openLive opens an event stream of b's session.
func openLive(t *testing.T, b *browser, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.Base+path, nil)
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: identity.CookieName, Value: b.Cookie})
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/event-stream")
	return resp
}

// readMap reads path's first "map" event and returns it with its raw text.
func readMap(t *testing.T, b *browser, path string) (liveMap, string) {
	t.Helper()
	resp := openLive(t, b, path)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "event: "); ok {
			event = name
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok && event == "map" {
			var m liveMap
			require.NoError(t, json.Unmarshal([]byte(data), &m), data)
			return m, data
		}
	}
	t.Fatalf("%s: no map event (%v)", path, sc.Err())
	return liveMap{}, ""
}

func cityOf(m liveMap) map[string][2]int {
	out := map[string][2]int{}
	for _, c := range m.Cities {
		if c.Value > 0 || c.Warnings > 0 {
			out[c.Code] = [2]int{c.Value, c.Warnings}
		}
	}
	return out
}

// openIn counts the open warnings (a level set) of the companies of a division
// prefix ("370102" a county, "3701" a city), as the map counts them.
func openIn(t *testing.T, r *region, prefix string) int {
	t.Helper()
	var n int
	require.NoError(t, r.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM warnings w
		JOIN enterprises e ON e.code = w.company_code
		WHERE w.status = 'open' AND w.level <> 'none' AND e.division_code LIKE $1 || '%'`, prefix).Scan(&n))
	return n
}

// The live updates refresh the map's series and the tables under it from the
// page's scoped queries: a county regulator's stream carries its county's
// companies and warnings and nothing of another county's, whatever ?region= it
// asks for; a city regulator's, its city's counties.
func TestLiveMapIsScoped(t *testing.T) {
	r := newRegion(t)
	county := r.login("lixia_staff")
	others := []fixture{r.shizhong, r.shinan}
	// The engine may still be raising warnings from the seeded data: wait until
	// the count settles.
	for n := -1; n != openIn(t, r, "37"); time.Sleep(500 * time.Millisecond) {
		n = openIn(t, r, "37")
	}
	lixia := openIn(t, r, "370102")
	require.Positive(t, lixia)
	require.Positive(t, openIn(t, r, "370103"))
	require.Positive(t, openIn(t, r, "370202"))

	m, raw := readMap(t, county, "/portal/live")
	assert.Len(t, m.Cities, 16, "every city of Shandong is on the map")
	assert.Equal(t, map[string][2]int{"370100": {2, lixia}}, cityOf(m), "济南's companies and warnings: 历下区's only")
	assert.Nil(t, m.Drill, "one county: no drill unless asked for")
	hidden(t, raw, others...)

	m, raw = readMap(t, county, "/portal/live?region=370100")
	require.NotNil(t, m.Drill)
	assert.Equal(t, "370100", m.Drill.City)
	require.Len(t, m.Drill.Counties, 1, "市中区 is not the county regulator's")
	assert.Equal(t, portal.CityPoint{Code: "370102", Name: "历下区", Value: 2, Warnings: lixia}, m.Drill.Counties[0])
	hidden(t, raw, others...)

	m, raw = readMap(t, county, "/portal/live?region=370102")
	require.NotNil(t, m.Drill)
	var codes []string
	sum := 0
	for _, c := range m.Drill.Companies {
		codes = append(codes, c.Code)
		sum += c.Warnings
	}
	assert.ElementsMatch(t, []string{r.lixia1.Code, r.lixia2.Code}, codes)
	assert.Equal(t, lixia, sum)
	hidden(t, raw, others...)
	for _, region := range []string{"370103", "370200", "370202", "37", "x"} {
		m, raw = readMap(t, county, "/portal/live?region="+region)
		assert.Nil(t, m.Drill, "%s: another region's drill is not sent", region)
		assert.Equal(t, map[string][2]int{"370100": {2, lixia}}, cityOf(m), region)
		hidden(t, raw, others...)
	}

	// The figures are the live query's: a new warning shows in the next event.
	_, err := r.App.Pool.Exec(context.Background(), `INSERT INTO warnings (warning_key, company_code, model, subject,
		subject_name, level, score, status, step, tier, config_version, raised_at, updated_at, factors, doc)
		VALUES ('test:live', $1, 'warehouse', 'W2', '仓库2', 'orange', 70, 'open', 'published', 'county', 'test',
		now(), now(), '[]', '{}')`, r.lixia1.Code)
	require.NoError(t, err)
	m, _ = readMap(t, county, "/portal/live?region=370100")
	assert.Equal(t, map[string][2]int{"370100": {2, lixia + 1}}, cityOf(m))
	assert.Equal(t, lixia+1, m.Drill.Counties[0].Warnings)

	city := r.login("jinan_staff")
	m, raw = readMap(t, city, "/portal/live")
	assert.Equal(t, map[string][2]int{"370100": {3, openIn(t, r, "3701")}}, cityOf(m), "济南: 历下区 and 市中区")
	require.NotNil(t, m.Drill, "a city regulator's default drill: its city's counties")
	got := map[string]int{}
	for _, c := range m.Drill.Counties {
		if c.Warnings > 0 {
			got[c.Code] = c.Warnings
		}
	}
	assert.Len(t, m.Drill.Counties, 12, "every county of 济南")
	assert.Equal(t, map[string]int{"370102": lixia + 1, "370103": openIn(t, r, "370103")}, got)
	hidden(t, raw, r.shinan)
}
