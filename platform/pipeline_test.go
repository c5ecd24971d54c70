package platform_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
)

// Every table goes HTTP → Kafka → PostgreSQL → read-back, a batch with bad records
// stores exactly the good ones, and the rejected ones are kept as evidence.
func TestEveryTableRoundTrips(t *testing.T) {
	t.Parallel()
	app, company, key := startWithCompany(t)
	r := newRand(1)
	now := app.now()
	for _, tbl := range schemas.Tables() {
		t.Run(tbl.Slug, func(t *testing.T) {
			good1 := simulate.NewRecord(r, tbl, company, now)
			good2 := simulate.NewRecord(r, tbl, company, now)
			for tbl.Key != "COMPANY_CODE" && fmt.Sprint(good2[tbl.Key]) == fmt.Sprint(good1[tbl.Key]) {
				good2 = simulate.NewRecord(r, tbl, company, now) // random keys may collide: two rows are wanted
			}
			if tbl.Key == "DEVICE_CODE" { // status tables: one row per device
				good2["DEVICE_CODE"] = simulate.DeviceCode(company, 9)
			}
			bad, field := simulate.Corrupt(r, tbl, simulate.NewRecord(r, tbl, company, now))
			rep := post(t, app.URL(), key, tbl.Slug, []simulate.Record{good1, bad, good2})
			require.Equal(t, http.StatusOK, rep.Status, string(rep.Raw))
			assert.EqualValues(t, 2, rep.Body["accepted"])
			assert.EqualValues(t, 1, rep.Body["rejected"])
			results := rep.Body["results"].([]any)
			badResult := results[1].(map[string]any)
			assert.Equal(t, "rejected", badResult["status"])
			errs := badResult["errors"].([]any)
			require.NotEmpty(t, errs)
			assert.Equal(t, field, errs[0].(map[string]any)["field"], string(rep.Raw))

			rows := 2
			if tbl.Key == "COMPANY_CODE" { // one row per company: the second version replaces the first
				rows = 1
			}
			sqlCount := fmt.Sprintf(`SELECT count(*) FROM %s WHERE company_code = $1`, tbl.SQLName())
			eventually(t, 20*time.Second, "the good records in "+tbl.SQLName(), func() bool {
				return count(t, app.App, sqlCount, company.Code) == rows
			})
			for _, good := range []simulate.Record{good1, good2} {
				id := fmt.Sprint(good[tbl.Key])
				back := get(t, app.URL(), key, "/api/v1/exchange/"+tbl.Slug+"/"+id)
				require.Equal(t, http.StatusOK, back.Status, string(back.Raw))
				for k := range good {
					assert.Contains(t, back.Body, k, "read-back of %s keeps key %s", tbl.Slug, k)
				}
				// What comes back is itself a valid record of the table.
				again := post(t, app.URL(), key, tbl.Slug, []byte("["+string(back.Raw)+"]"))
				assert.Equal(t, http.StatusOK, again.Status, string(again.Raw))
			}
		})
	}
	eventually(t, 20*time.Second, "rejections stored", func() bool {
		return count(t, app.App, `SELECT count(*) FROM exchange_rejections WHERE company_code = $1`, company.Code) == len(schemas.Tables())
	})
}

func TestResendUpdatesDeleteKeepsOlderNeverOverwrites(t *testing.T) {
	t.Parallel()
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t)})
	company := simulate.Company{Code: "370211001", County: "370211"}
	key := addCompany(t, app.App, company.Code, company.County)
	r := newRand(2)
	now := app.now()

	// Re-sent hidden danger: updates, never duplicates; DELETED=1 keeps the row.
	hd := simulate.NewRecord(r, schemas.HiddenDangers, company, now)
	hd["DANGER_STATE"], hd["DANGER_NAME"] = 0, "第一版"
	delete(hd, "CHECK_ACCEPT_PERSON")
	delete(hd, "CHECK_ACCEPT_TIME")
	require.Equal(t, 200, post(t, app.URL(), key, "hidden-dangers", []simulate.Record{hd}).Status)
	hd["DANGER_NAME"] = "第二版"
	require.Equal(t, 200, post(t, app.URL(), key, "hidden-dangers", []simulate.Record{hd}).Status)
	hd["DELETED"] = "1"
	require.Equal(t, 200, post(t, app.URL(), key, "hidden-dangers", []simulate.Record{hd}).Status)
	eventually(t, 20*time.Second, "three versions in history", func() bool {
		return count(t, app.App, `SELECT count(*) FROM x_hidden_dangers_history WHERE record_key = $1`, hd["ID"]) == 3
	})
	assert.Equal(t, 1, count(t, app.App, `SELECT count(*) FROM x_hidden_dangers WHERE record_key = $1`, hd["ID"]))
	assert.Equal(t, 1, count(t, app.App, `SELECT count(*) FROM x_hidden_dangers WHERE record_key = $1 AND deleted AND doc->>'DANGER_NAME' = '第二版'`, hd["ID"]))
	back := get(t, app.URL(), key, "/api/v1/exchange/hidden-dangers/"+hd["ID"].(string))
	assert.Equal(t, "1", back.Body["DELETED"])

	// A video alarm's clear (later ALARM_TIME) arrives before a late re-send of the
	// raise: the older raise must not overwrite the newer clear.
	alarm := simulate.NewRecord(r, schemas.VideoAlarms, company, now)
	raisedAt := now.Add(-10 * time.Minute).In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	clearedAt := now.Add(-5 * time.Minute).In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	clear := simulate.Record{}
	for k, v := range alarm {
		clear[k] = v
	}
	clear["ALARM_STATUS"], clear["ALARM_TIME"] = "0", clearedAt
	alarm["ALARM_TIME"] = raisedAt
	require.Equal(t, 200, post(t, app.URL(), key, "video-alarms", []simulate.Record{clear}).Status)
	require.Equal(t, 200, post(t, app.URL(), key, "video-alarms", []simulate.Record{alarm}).Status)
	eventually(t, 20*time.Second, "both alarm versions in history", func() bool {
		return count(t, app.App, `SELECT count(*) FROM x_video_alarms_history WHERE record_key = $1`, alarm["ALARM_ID"]) == 2
	})
	back = get(t, app.URL(), key, "/api/v1/exchange/video-alarms/"+alarm["ALARM_ID"].(string))
	assert.Equal(t, "0", back.Body["ALARM_STATUS"], "the newer clear stays")
	assert.Equal(t, clearedAt, back.Body["ALARM_TIME"])

	// A time-series fact sent twice (a status report, a reading) is stored once in its
	// typed series, its history; a changed one replaces it there, and the replaced
	// status is kept in the JSON history.
	status := simulate.NewRecord(r, schemas.VideoDeviceStatuses, company, now)
	status["RUN_STATUS"] = "1"
	require.Equal(t, 200, post(t, app.URL(), key, "video-device-status", []simulate.Record{status, status}).Status)
	require.Equal(t, 200, post(t, app.URL(), key, "video-device-status", []simulate.Record{status}).Status)
	changed := simulate.Record{"DEVICE_CODE": status["DEVICE_CODE"], "DATE_TIME": status["DATE_TIME"], "RUN_STATUS": "0"}
	require.Equal(t, 200, post(t, app.URL(), key, "video-device-status", []simulate.Record{changed}).Status)
	eventually(t, 20*time.Second, "status history", func() bool {
		return count(t, app.App, `SELECT count(*) FROM x_video_device_status_history WHERE record_key = $1`, status["DEVICE_CODE"]) == 1
	})
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, 1, count(t, app.App, `SELECT count(*) FROM ts_video_device_status WHERE device_code = $1 AND NOT running`, status["DEVICE_CODE"]))
	assert.Equal(t, 1, count(t, app.App, `SELECT count(*) FROM x_video_device_status_history
		WHERE record_key = $1 AND doc->>'RUN_STATUS' = '1'`, status["DEVICE_CODE"]), "the replaced status, once")
}

func TestStatusCodes(t *testing.T) {
	t.Parallel()
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), Ingest: ingestSmallLimits()})
	a := simulate.Company{Code: "370102002", County: "370102"}
	b := simulate.Company{Code: "370103001", County: "370103"}
	keyA := addCompany(t, app.App, a.Code, a.County)
	addCompany(t, app.App, b.Code, b.County)
	r := newRand(3)
	now := app.now()
	dev := simulate.NewRecord(r, schemas.VideoDevices, a, now)

	cases := []struct {
		name   string
		key    string
		slug   string
		ctype  string
		body   any
		status int
		code   string
	}{
		{"no key", "", "video-devices", "application/json", []simulate.Record{dev}, 401, "unauthorized"},
		{"unknown key", "cgk_nope", "video-devices", "application/json", []simulate.Record{dev}, 401, "unauthorized"},
		{"unknown table", keyA, "no-such-table", "application/json", []simulate.Record{dev}, 404, "not_found"},
		{"not json content type", keyA, "video-devices", "text/plain", []simulate.Record{dev}, 415, "unsupported"},
		{"malformed json", keyA, "video-devices", "application/json", []byte(`[{"DEVICE_ID":`), 400, "malformed"},
		{"object not array", keyA, "video-devices", "application/json", dev, 400, "malformed"},
		{"another company's code", keyA, "video-devices", "application/json",
			[]simulate.Record{simulate.NewRecord(r, schemas.VideoDevices, b, now)}, 403, "forbidden"},
		{"all invalid", keyA, "video-devices", "application/json", []simulate.Record{{"DEVICE_ID": "x"}}, 422, ""},
		{"too many records", keyA, "video-devices", "application/json", []simulate.Record{dev, dev, dev, dev, dev, dev}, 413, "too_large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, _ := json.Marshal(c.body)
			if raw, ok := c.body.([]byte); ok {
				body = raw
			}
			req, err := http.NewRequest(http.MethodPost, app.URL()+"/api/v1/exchange/"+c.slug, bytesReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", c.ctype)
			if c.key != "" {
				req.Header.Set("Authorization", "Bearer "+c.key)
			}
			rep := do(t, req)
			require.Equal(t, c.status, rep.Status, string(rep.Raw))
			if c.code != "" {
				e := rep.Body["error"].(map[string]any)
				assert.Equal(t, c.code, e["code"])
				assert.NotEmpty(t, e["message_zh"])
				assert.NotEmpty(t, e["message_en"])
			}
		})
	}
	t.Run("oversize body", func(t *testing.T) {
		big := make([]byte, 3<<20)
		for i := range big {
			big[i] = ' '
		}
		big[0], big[len(big)-1] = '[', ']'
		rep := post(t, app.URL(), keyA, "video-devices", big)
		assert.Equal(t, 413, rep.Status, string(rep.Raw))
	})
	t.Run("health and readiness", func(t *testing.T) {
		assert.Equal(t, 200, get(t, app.URL(), "", "/healthz").Status)
		assert.Equal(t, 200, get(t, app.URL(), "", "/readyz").Status)
		m := get(t, app.URL(), "", "/metrics")
		assert.Equal(t, 200, m.Status)
		assert.Contains(t, string(m.Raw), "chemguard_exchange_records_total")
	})
}
