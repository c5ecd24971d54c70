package warningsvc_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/sealed"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// With the numbers sealed at rest, SMS still reach the right people (the one
// place that opens them), and the delivery records hold pseudonyms, not numbers.
func TestSMSToSealedNumbers(t *testing.T) {
	pool, clk, gw, srv := smsSetup(t, "s3cret")
	ctx := context.Background()
	box, err := sealed.NewBox(sealed.NewRandomKey())
	require.NoError(t, err)
	n, err := store.SealPersonalData(ctx, pool, box)
	require.NoError(t, err)
	require.Positive(t, n)
	require.Zero(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM users WHERE mobile LIKE '1%'`), "fixtures sealed")

	sms, err := warningsvc.NewSMS(warningsvc.SMSConfig{URL: srv.URL + "/sms/send", AppKey: "chemguard", Secret: "s3cret"})
	require.NoError(t, err)
	s, err := warningsvc.New(ctx, pool, nil, warningsvc.Config{Now: clk.Now, Notifiers: []warningsvc.Notifier{sms}, Personal: box})
	require.NoError(t, err)
	require.NoError(t, s.Apply(ctx, []events.Event{detector("G1"), detector("G2"), reading("G1", 60, clk.Now()), reading("G2", 60, clk.Now())}))
	clk.Add(5 * time.Second)
	require.NoError(t, s.Notify(ctx))
	got := gw.mobiles()
	require.NotEmpty(t, got)
	sort.Strings(got)
	assert.Subset(t, []string{"13800000001", "13800000002", "13900000001"}, got, "texted the opened numbers")
	assert.Zero(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_notifications WHERE recipient ~ '^1[3-9][0-9]{9}$'`),
		"a delivery record holds a number in clear")
	assert.Positive(t, pgtest.Scalar[int](t, pool, `SELECT count(*) FROM warning_notifications WHERE recipient LIKE '138****0001#%'`))
	require.NoError(t, s.Notify(ctx))
	assert.Len(t, gw.mobiles(), len(got), "told once: the pseudonym tells people apart")
}
