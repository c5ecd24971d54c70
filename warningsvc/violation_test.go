package warningsvc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/warning"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// An SOS (人员定位 一键求救, alarmType 01) at 3 a.m. raises a red violation warning at
// once; the SMS gateway texts the company's people and the county, and the company's
// people are texted again every RemindEvery until the company acknowledges it.
func TestSOSIsRedAndTextedUntilAcknowledged(t *testing.T) {
	pool, clk, gw, srv := smsSetup(t, "k")
	clk.Set(time.Date(2026, 3, 1, 19, 0, 0, 0, time.UTC)) // 03:00 Shanghai
	ctx := context.Background()
	sms, err := warningsvc.NewSMS(warningsvc.SMSConfig{URL: srv.URL, AppKey: "chemguard", Secret: "k"})
	require.NoError(t, err)
	s, err := warningsvc.New(ctx, pool, nil, warningsvc.Config{Now: clk.Now, RemindEvery: 5 * time.Minute,
		Notifiers: []warningsvc.Notifier{sms}})
	require.NoError(t, err)
	require.NoError(t, s.Apply(ctx, []events.Event{events.CompanyAlarm{Company: company, Source: events.SourcePositioning,
		ID: "sos-1", Type: "01", Where: "合成氨装置区", Raised: true, At: clk.Now()}}))
	assert.Equal(t, "red", pgtest.Scalar[string](t, pool, `SELECT level FROM warnings WHERE model = 'violation' AND status = 'open'`))
	key := pgtest.Scalar[string](t, pool, `SELECT warning_key FROM warnings WHERE model = 'violation' AND status = 'open'`)

	require.NoError(t, s.Notify(ctx))
	require.Equal(t, []string{"13800000001", "13800000002", "13900000001"}, gw.mobiles(), "published: the company's people and the county")
	assert.Contains(t, gw.got[0]["content"], "违规行为")
	assert.Contains(t, gw.got[0]["content"], "红色")

	for i := 1; i <= 2; i++ { // not acknowledged: reminded every 5 minutes
		gw.got = nil
		clk.Add(5 * time.Minute)
		require.NoError(t, s.Remind(ctx))
		require.NoError(t, s.Notify(ctx))
		assert.Equal(t, []string{"13800000001", "13800000002"}, gw.mobiles(), "reminder %d", i)
	}

	_, err = s.Act(ctx, company, key, warning.Action{Kind: warning.ActAcknowledge, At: clk.Now(),
		Actor: warning.Actor{ID: "7", Name: "company", Role: warning.RoleCompany}})
	require.NoError(t, err)
	gw.got = nil
	clk.Add(5 * time.Minute)
	require.NoError(t, s.Remind(ctx))
	require.NoError(t, s.Notify(ctx))
	assert.Empty(t, gw.mobiles(), "acknowledged: no more reminders")
}
