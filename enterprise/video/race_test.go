package video_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
)

// A device removed while the sweep reports the devices' 表3 has no status
// reported after its removal, and a device the sweep reports is reported
// once. The sweep lists the due devices without their locks; the test's
// transaction, holding the device's row, stands for the removal (or for a
// second sweep) committed between that list and the report. The report reads
// the device again under the lock and skips it: before, it staged a status
// for the removed device (or a second one for the same period).
func TestDeviceChangedWhileTheSweepReportsIt(t *testing.T) {
	for _, tc := range []struct {
		name, change string
	}{
		{"removed", `UPDATE video_devices SET deleted_at = $2, key_hash = NULL WHERE id::text = $1`},
		{"reported by another sweep", `UPDATE video_devices SET status_reported_at = $2 WHERE id::text = $1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app, clk, mod := start(t)
			co := enttest.Setup(t, app.App, plant, "370102")
			_, device, _ := register(t, app, co, "0", clk.Now)
			ctx := context.Background()
			statuses := func() int {
				return pgtest.Scalar[int](t, app.Pool, `SELECT count(*) FROM enterprise_outbox WHERE slug = 'video-device-status'`)
			}
			before := statuses()

			tx, err := app.Pool.Begin(ctx)
			require.NoError(t, err)
			defer tx.Rollback(ctx)
			_, err = tx.Exec(ctx, `SELECT 1 FROM video_devices WHERE id::text = $1 FOR UPDATE`, device)
			require.NoError(t, err)
			swept := make(chan error, 1)
			go func() { swept <- mod.Service().Sweep(ctx) }()
			require.True(t, enttest.WaitLockedOrDone(t, app.Pool, swept), "the sweep's report waits for the device's row lock")
			_, err = tx.Exec(ctx, tc.change, device, clk.Now())
			require.NoError(t, err)
			require.NoError(t, tx.Commit(ctx))
			require.NoError(t, <-swept)
			require.Equal(t, before, statuses(), "no status is staged for the device")
		})
	}
}
