package portal_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
)

// perCompany is a day of one simulated company's current records per table, as
// the pages read them (current state: one row per key).
var perCompany = map[*schemas.Table]int{
	schemas.EnterpriseInfos: 1, schemas.HazardSources: 4, schemas.Indicators: 20, schemas.Cameras: 10,
	schemas.VideoDevices: 4, schemas.VideoDeviceStatuses: 4, schemas.VideoAlarms: 100, schemas.PositioningAlarms: 30,
	schemas.RiskUnits: 10, schemas.RiskEvents: 20, schemas.ControlMeasures: 40, schemas.CheckTasks: 40,
	schemas.CheckRecords: 100, schemas.HiddenDangers: 20, schemas.SpecialOperations: 5, schemas.Commitments: 1,
}

const rejectionsPerCompany = 50

// loadDay stores a day of data for companies straight into the current-state
// and history tables (the sink's own write path), far faster than through Kafka.
func loadDay(tb testing.TB, e *env, companies []simulate.Company) {
	tb.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	now := e.Clock.Now()
	var version int64
	fileRef := map[string]any{"ref": "sha256-0000", "content_type": "image/png", "size": 1234}
	for _, c := range companies {
		versions := map[*schemas.Table][]store.Version{}
		add := func(t *schemas.Table, rec simulate.Record) {
			for _, f := range t.Fields {
				if f.Kind == schemas.KindFile {
					rec[f.ID] = fileRef
				}
			}
			doc, err := json.Marshal(rec)
			require.NoError(tb, err)
			version++
			v := store.Version{MsgID: uuid.New(), Company: c.Code, Key: fmt.Sprint(rec[t.Key]), Version: version,
				ReceivedAt: now, Doc: doc}
			for _, id := range t.VersionTime {
				if s, ok := rec[id].(string); ok {
					if at, err := time.ParseInLocation(schemas.DateTimeLayout, s, schemas.Shanghai); err == nil {
						v.EventTime = at
						break
					}
				}
			}
			versions[t] = append(versions[t], v)
		}
		var indicators []string
		for t, n := range perCompany {
			for i := 0; i < n; i++ {
				at := now.Add(-time.Duration(r.IntN(23)) * time.Hour)
				if t == schemas.SpecialOperations || t == schemas.Commitments {
					at = now
				}
				rec := simulate.NewRecord(r, t, c, at)
				if t == schemas.Indicators {
					rec["INDICATOR_CODE"] = fmt.Sprintf("%s-I%03d", c.Code, i)
					indicators = append(indicators, rec["INDICATOR_CODE"].(string))
				}
				add(t, rec)
			}
		}
		for _, code := range indicators {
			rec := simulate.NewRecord(r, schemas.SensorReadings, c, now)
			rec["INDICATOR_CODE"] = code
			add(schemas.SensorReadings, rec)
		}
		var rejections []store.Rejection
		for i := 0; i < rejectionsPerCompany; i++ {
			rejections = append(rejections, store.Rejection{MsgID: uuid.New(), Table: schemas.HiddenDangers.Slug, Company: c.Code,
				ReceivedAt: now.Add(-time.Duration(r.IntN(86400)) * time.Second), Index: i, Key: simulate.NewID(),
				Errors: []byte(`[{"index":0,"field":"DANGER_LEVEL","rule":"code","message_zh":"隐患等级「5」不在代码表中"}]`),
				Raw:    `{"DANGER_LEVEL":5}`})
		}
		require.NoError(tb, e.App.Exchange.Apply(ctx, versions, rejections))
	}
	// Two warnings per company, one of them open, with a raised event each.
	_, err := e.App.Pool.Exec(ctx, `INSERT INTO warnings (warning_key, company_code, model, subject, subject_name, level,
		score, status, step, tier, config_version, raised_at, updated_at, factors, doc)
		SELECT 'bench:' || code || ':' || i, code, 'enterprise', '', '', (ARRAY['red','orange','yellow','blue'])[1 + (i + length(name)) % 4],
			50 + i, CASE WHEN i = 1 THEN 'open' ELSE 'settled' END, CASE WHEN i = 1 THEN 'published' ELSE 'closed' END,
			'county', 'bench', now() - i * interval '1 hour', now(), '[]', '{}'
		FROM enterprises, generate_series(1, 2) AS i`)
	require.NoError(tb, err)
	_, err = e.App.Pool.Exec(ctx, `INSERT INTO warning_events (warning_id, kind, at, level, step, tier)
		SELECT id, 'warning_raised', raised_at, level, 'published', tier FROM warnings`)
	require.NoError(tb, err)
	_, err = e.App.Pool.Exec(ctx, `ANALYZE`)
	require.NoError(tb, err)
}

// BenchmarkPages serves each portal page with 500 simulated companies and a day
// of their current records (about 200,000 rows, 25,000 rejections, 1,000
// warnings) to a
// province user (every company) and a county user; also the inspector app's
// pages under /m/. Run:
//
//	go test ./portal -run='^$' -bench=Pages -benchtime=20x
func BenchmarkPages(b *testing.B) {
	e := start(b)
	companies := simulate.Companies(500, 1)
	for _, c := range companies {
		kind := "生产"
		if c.GasStation {
			kind = "加油站"
		}
		e.company(c.Code, c.County, c.Name, kind)
	}
	loadDay(b, e, companies)
	var warningID int64
	require.NoError(b, e.App.Pool.QueryRow(context.Background(), `SELECT id FROM warnings WHERE company_code = $1
		AND status = 'open'`, companies[1].Code).Scan(&warningID))
	e.user("sd_staff", policy.ProvinceStaff, tiers.ProvinceCode)
	e.user("county_staff", policy.CountyStaff, companies[1].County)
	pages := []string{"/portal/", "/portal/companies", "/portal/companies?q=" + companies[250].Code[:6] + "&page=1",
		"/portal/companies/" + companies[1].Code, "/portal/data?table=check-records",
		"/portal/data?table=video-alarms&q=%E7%83%9F", "/portal/data?table=video-alarms&company=" + companies[1].Code,
		"/portal/rejections", "/portal/rejections?page=50", "/portal/warnings", "/portal/warnings?status=all&level=red",
		fmt.Sprintf("/portal/warnings/%d", warningID),
		// The inspector app (inspect/): its pages over the same data, with a patrol record per company.
		"/m/", "/m/patrol", "/m/patrol/" + companies[1].Code, "/m/spot", "/m/supervise", "/m/supervise/" + companies[1].Code,
		"/m/warnings", "/m/records", "/m/records?kind=patrol&page=10",
		// 数据质量 (quality/): scores of today and yesterday, a notice per company.
		"/portal/quality", "/portal/quality?page=10", "/portal/quality/companies/" + companies[1].Code,
		"/portal/quality/notices", "/portal/quality/notices?status=overdue", "/portal/quality/report.xlsx",
		// A final day's report (yesterday, finalised by benchGovernance): built once, then from memory.
		"/portal/quality/report.xlsx?day=" + e.Clock.Now().AddDate(0, 0, -1).In(schemas.Shanghai).Format(schemas.DateLayout),
		// 下钻 (drill.go): a city's counties, a county's companies.
		"/portal/?region=" + companies[1].County[:4] + "00", "/portal/?region=" + companies[1].County,
		// 近 24 小时趋势 (trend.go): an indicator with a day of readings every 30 s, per minute.
		"/portal/companies/" + companies[1].Code + "/indicators/" + companies[1].Code + "-I000"}
	benchGovernance(b, e, companies)
	_, err := e.App.Pool.Exec(context.Background(), `INSERT INTO inspections (client_id, kind, company_code, inspector,
		inspector_name, domain, tier, checklist, result, note, recorded_at, received_at)
		SELECT gen_random_uuid(), 'patrol', code, 'bench', '巡查员', left(division_code, 4) || '00', 'city',
			'[{"item":"online","label":"数据在线","status":"在线","ok":true}]', 'ok', '现场巡查正常', now(), now()
		FROM enterprises`)
	require.NoError(b, err)
	// A day of sensor readings, read by the 24 h trend from the per-minute
	// aggregate: companies[1]'s 20 indicators every 30 s (the simulator's rate),
	// every other company's every 5 minutes — about 2.9 million rows.
	_, err = e.App.Pool.Exec(context.Background(), `INSERT INTO ts_sensor_readings
		(company_code, indicator_code, collect_time, value, received_at)
		SELECT e.code, e.code || '-I' || lpad(i::text, 3, '0'), at, round((random() * 100)::numeric, 2)::float8, at
		FROM enterprises e, generate_series(0, 19) AS i,
			LATERAL generate_series(now() - interval '24 hours', now(),
				CASE WHEN e.code = $1 THEN interval '30 seconds' ELSE interval '5 minutes' END) AS at`, companies[1].Code)
	require.NoError(b, err)
	_, err = e.App.Pool.Exec(context.Background(), `ANALYZE ts_sensor_readings`)
	require.NoError(b, err)
	// 系统管理 and 审计 (admin.go, auditpage.go): 1,000 accounts, 100,000 audit rows
	// (written straight into audit_log: the list does not check the chain).
	_, err = e.App.Pool.Exec(context.Background(), `INSERT INTO users (username, display_name, password_hash, domain)
		SELECT 'bench' || i, '用户' || i, 'x', (SELECT division_code FROM enterprises ORDER BY code OFFSET i % 500 LIMIT 1)
		FROM generate_series(1, 1000) AS i`)
	require.NoError(b, err)
	_, err = e.App.Pool.Exec(context.Background(), `INSERT INTO audit_log (seq, at, actor, actor_role, client_ip, action,
		object, result, detail, prev_hash, hash)
		SELECT m.seq + i, now() - (100000 - i) * interval '1 second', 'bench' || (i % 1000), 'county_staff', '127.0.0.1',
			(ARRAY['login', 'logout', 'deny'])[1 + i % 3], 'user:bench' || (i % 1000), (ARRAY['ok', 'ok', 'denied'])[1 + i % 3],
			'', '\x00', '\x00'
		FROM (SELECT COALESCE(max(seq), 0) AS seq FROM audit_log) m, generate_series(1, 100000) AS i`)
	require.NoError(b, err)
	_, err = e.App.Pool.Exec(context.Background(), `ANALYZE users; ANALYZE audit_log`)
	require.NoError(b, err)
	browsers := map[string]*browser{"sd_staff": e.login("sd_staff"), "county_staff": e.login("county_staff"),
		"security": e.admin("sec1", policy.SecurityAdmin), "system": e.admin("sys1", policy.SystemAdmin),
		"audit": e.admin("aud1", policy.AuditAdmin)}
	byUser := map[string][]string{"sd_staff": pages, "county_staff": pages,
		"security": {"/portal/admin/users", "/portal/admin/users?q=bench99&page=1", "/portal/admin/users?page=40",
			"/portal/admin/users/bench500", "/portal/admin/parks"},
		"system": {"/portal/admin/companies", "/portal/admin/companies?page=20", "/portal/admin/companies/" + companies[1].Code},
		"audit": {"/portal/audit", "/portal/audit?actor=bench7", "/portal/audit?action=deny&result=denied&from=2020-01-01",
			"/portal/audit?before=50000"}}
	// 实时更新 (live.go): one tick of /portal/live — a connection's first "stats"
	// and "map" events (the headline figures, the city map and table, the 下钻's
	// series) for no drill, a city's counties, a county's companies.
	for _, user := range []string{"sd_staff", "county_staff"} {
		br := browsers[user]
		for _, path := range []string{"/portal/live", "/portal/live?region=" + companies[1].County[:4] + "00",
			"/portal/live?region=" + companies[1].County} {
			b.Run(user+path, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					liveTick(b, br, path)
				}
			})
		}
	}
	for _, user := range []string{"sd_staff", "county_staff", "security", "system", "audit"} {
		br := browsers[user]
		for _, path := range byUser[user] {
			b.Run(user+path, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if p := br.Get(path); p.Status != http.StatusOK {
						b.Fatalf("%s: %d", path, p.Status)
					}
				}
			})
		}
	}
}

// benchGovernance gives every company today's and yesterday's governance facts and
// scores through the governance service (its ticks and recomputation) and one
// 整改通知 about an open fact, half of them overdue.
func benchGovernance(tb testing.TB, e *env, companies []simulate.Company) {
	tb.Helper()
	ctx := context.Background()
	codes := make([]string, len(companies))
	for i, c := range companies {
		codes[i] = c.Code
	}
	e.noThreshold(tb, codes...) // an open fact each, and today's scores
	now := e.Clock.Now()
	_, err := e.App.Governance.Recompute(ctx, now.AddDate(0, 0, -1), now)
	require.NoError(tb, err)
	tag, err := e.App.Pool.Exec(ctx, `WITH f AS (SELECT DISTINCT ON (company_code) company_code, fact_id FROM governance_facts
			WHERE ended_at IS NULL ORDER BY company_code, started_at),
		n AS (INSERT INTO governance_notices (company_code, division_code, requirement, deadline, status, issued_by,
				issuer_domain, issued_at, updated_at)
			SELECT f.company_code, e.division_code, '恢复数据上传', now() + (CASE WHEN length(e.name) % 2 = 0 THEN -1 ELSE 1 END) * interval '1 day',
				'issued', 'bench', e.division_code, now(), now()
			FROM f JOIN enterprises e ON e.code = f.company_code RETURNING id, company_code)
		INSERT INTO governance_notice_facts (notice_id, fact_id) SELECT n.id, f.fact_id FROM n JOIN f USING (company_code)`)
	require.NoError(tb, err)
	require.EqualValues(tb, len(companies), tag.RowsAffected(), "a notice per company")
	_, err = e.App.Pool.Exec(ctx, `ANALYZE`)
	require.NoError(tb, err)
}

// liveTick opens path's event stream, reads up to its first "map" event and
// closes it.
func liveTick(b *testing.B, br *browser, path string) {
	b.Helper()
	req, err := http.NewRequest(http.MethodGet, br.Base+path, nil)
	require.NoError(b, err)
	req.AddCookie(&http.Cookie{Name: identity.CookieName, Value: br.Cookie})
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b, err)
	defer resp.Body.Close()
	require.Equal(b, http.StatusOK, resp.StatusCode)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if sc.Text() == "event: map" && sc.Scan() {
			return
		}
	}
	b.Fatalf("%s: no map event: %v", path, sc.Err())
}
