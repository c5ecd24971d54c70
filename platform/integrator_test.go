package platform_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
)

var bom = []byte("\xEF\xBB\xBF")

// TestByteOrderMarkAccepted: a body starting with a UTF-8 BOM, as Windows and .NET
// clients write it, is read as if it had none — on the exchange and on the routes
// that decode a JSON object (login here).
func TestByteOrderMarkAccepted(t *testing.T) {
	t.Parallel()
	app, company, key := startWithCompany(t)
	rec := simulate.NewRecord(newRand(3), schemas.RiskUnits, company, app.now())
	b, err := json.Marshal([]simulate.Record{rec})
	require.NoError(t, err)
	rep := post(t, app.URL(), key, "risk-units", append(bom, b...))
	require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
	assert.EqualValues(t, 1, rep.Body["accepted"])

	addUser(t, app.App, "lixia", policy.CountyStaff, "370102")
	lb, _ := json.Marshal(map[string]string{"username": "lixia", "password": warnPassword})
	req, err := http.NewRequest(http.MethodPost, app.URL()+"/api/v1/auth/login", bytes.NewReader(append(bom, lb...)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	r := do(t, req)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	assert.NotEmpty(t, r.Body["token"])
}

// TestMalformedJSONReply: a body that is not JSON is 400; the Chinese message is
// Chinese and says where (line, column, byte) once; details carry the position as
// data, not the messages a second time.
func TestMalformedJSONReply(t *testing.T) {
	t.Parallel()
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), NoSink: true})
	key := addCompany(t, app.App, "370102001", "370102")
	rep := post(t, app.URL(), key, "risk-units", []byte("[\n {\"ID\": \"x\",}\n]"))
	require.Equal(t, http.StatusBadRequest, rep.Status, string(rep.Raw))
	e := rep.Body["error"].(map[string]any)
	assert.Equal(t, "malformed", e["code"])
	zh := e["message_zh"].(string)
	assert.Equal(t, "请求体不是合法的 JSON：第 2 行第 13 列（第 14 字节）处有非法字符「}」（此处应为带双引号的键名）", zh)
	assert.Contains(t, e["message_en"], "line 2, column 13 (byte offset 14)")
	assert.Contains(t, e["message_en"], "invalid character '}'")
	assert.Equal(t, 1, strings.Count(string(rep.Raw), "第 2 行"), "the position is said once: %s", rep.Raw)
	assert.Equal(t, map[string]any{"rule": "malformed_json", "position": map[string]any{"offset": 14.0, "line": 2.0, "column": 13.0}},
		e["details"])
}

// TestBadQueryParameters: on every API route that reads a paging or id parameter, a
// value that cannot be read is a 400 with a bilingual message naming the parameter,
// never quietly replaced by the default.
func TestBadQueryParameters(t *testing.T) {
	t.Parallel()
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), NoSink: true})
	key := addCompany(t, app.App, "370102001", "370102")
	addUser(t, app.App, "prov", policy.ProvinceStaff, "370000")
	addUser(t, app.App, "jinan_share", policy.ShareService, "370100")
	prov, share := login(t, app.URL(), "prov"), login(t, app.URL(), "jinan_share")
	cases := []struct {
		who, path, param string
	}{
		{key, "/api/v1/exchange/risk-units?limit=abc", "limit"},
		{key, "/api/v1/exchange/risk-units?limit=0", "limit"},
		{key, "/api/v1/exchange/risk-units?cursor=!!", "cursor"},
		{key, "/api/v1/exchange/risk-units?cursor=bm90LWpzb24", "cursor"}, // base64 of "not-json"
		{key, "/api/v1/exchange/risk-units?updated_since=yesterday", "updated_since"},
		{key, "/api/v1/enterprise/notices?limit=abc", "limit"},
		{prov, "/api/v1/alarms?limit=abc", "limit"},
		{prov, "/api/v1/warnings?limit=1e3", "limit"},
		{prov, "/api/v1/warnings?before=abc", "before"},
		{prov, "/api/v1/governance/scores?limit=abc", "limit"},
		{prov, "/api/v1/governance/facts?cursor=%25%25", "cursor"},
		{prov, "/api/v1/governance/facts?limit=-1", "limit"},
		{prov, "/api/v1/governance/notices?offset=abc", "offset"},
		{prov, "/api/v1/governance/fallers?limit=abc", "limit"},
		{prov, "/api/v1/enterprises?limit=abc", "limit"},
		{share, "/api/v1/share/hidden-dangers?limit=abc", "limit"},
		{share, "/api/v1/share/hidden-dangers?cursor=abc", "cursor"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			r := get(t, app.URL(), c.who, c.path)
			require.Equal(t, http.StatusBadRequest, r.Status, string(r.Raw))
			e := r.Body["error"].(map[string]any)
			assert.Equal(t, "bad_parameter", e["code"])
			assert.Contains(t, e["message_zh"], c.param)
			assert.Contains(t, e["message_en"], c.param)
			assert.Regexp(t, `[\p{Han}]`, e["message_zh"])
		})
	}
}

// TestReadYourWrites: a GET by id sent right after the POST's 200 answers the
// record just accepted (never 404 or the previous version), without the client
// polling; the reply names the batch's position.
func TestReadYourWrites(t *testing.T) {
	t.Parallel()
	app, company, key := startWithCompany(t)
	r := newRand(5)
	rec := simulate.NewRecord(r, schemas.RiskUnits, company, app.now())
	for i := range 15 {
		rec["RISK_UNIT_NAME"] = "储罐区" + strconv.Itoa(i) // a new version of the same record each time
		if i%3 == 0 {
			rec = simulate.NewRecord(r, schemas.RiskUnits, company, app.now()) // and now and then a new record
		}
		rep := post(t, app.URL(), key, "risk-units", []simulate.Record{rec})
		require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
		pos, _ := rep.Body["position"].(string)
		require.NotEmpty(t, pos)
		back := get(t, app.URL(), key, "/api/v1/exchange/risk-units/"+rec["ID"].(string))
		require.Equal(t, http.StatusOK, back.Status, "GET right after the 200 (round %d): %s", i, back.Raw)
		assert.Equal(t, rec["RISK_UNIT_NAME"], back.Body["RISK_UNIT_NAME"], "round %d: the version just sent", i)
		withPos := get(t, app.URL(), key, "/api/v1/exchange/risk-units/"+rec["ID"].(string)+"?position="+url.QueryEscape(pos))
		require.Equal(t, http.StatusOK, withPos.Status, string(withPos.Raw))
	}
	bad := get(t, app.URL(), key, "/api/v1/exchange/risk-units/x?position=yesterday")
	assert.Equal(t, http.StatusBadRequest, bad.Status, string(bad.Raw))
}

// TestReadYourWritesBounded: when the sink does not store the batch (here: no sink),
// a GET by id waits only ReadWait, then answers what is stored and says the version is
// still pending. ReadWait is 2 s, not less: the node remembers a key it accepted for
// ReadWait from the acceptance, and on a loaded machine the POST's answer and the GET
// took longer than 300 ms (CI: the GET came after the key was forgotten, so it
// rightly did not wait).
func TestReadYourWritesBounded(t *testing.T) {
	t.Parallel()
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), NoSink: true,
		Ingest: ingest.Config{ReadWait: 2 * time.Second}})
	company := simulate.Company{Code: "370102001", Name: "济南测试化工", County: "370102"}
	key := addCompany(t, app.App, company.Code, company.County)
	rec := simulate.NewRecord(newRand(6), schemas.RiskUnits, company, app.now())
	rep := post(t, app.URL(), key, "risk-units", []simulate.Record{rec})
	require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
	start := time.Now()
	req, err := http.NewRequest(http.MethodGet, app.URL()+"/api/v1/exchange/risk-units/"+rec["ID"].(string), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "true", resp.Header.Get("X-Chemguard-Pending"))
	assert.GreaterOrEqual(t, time.Since(start), 2*time.Second, "it waited for the sink")
	// A key this node did not just accept is answered at once.
	other := get(t, app.URL(), key, "/api/v1/exchange/risk-units/00000000-0000-0000-0000-000000000000")
	assert.Equal(t, http.StatusNotFound, other.Status)
}
