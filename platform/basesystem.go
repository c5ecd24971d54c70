package platform

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/dangers"
	"github.com/shandong-emergency/chemguard/enterprise/dualprevention"
	"github.com/shandong-emergency/chemguard/enterprise/permits"
	"github.com/shandong-emergency/chemguard/enterprise/positioning"
	"github.com/shandong-emergency/chemguard/enterprise/positioning/mqttgw"
	"github.com/shandong-emergency/chemguard/enterprise/rounds"
	"github.com/shandong-emergency/chemguard/enterprise/video"
	"github.com/shandong-emergency/chemguard/sealed"
)

// Sweep intervals of the base system's modules: how late a task push, an
// overdue-danger escalation or a gas-analysis lapse may be noticed.
const (
	taskSweepEvery   = time.Minute
	dangerSweepEvery = 5 * time.Minute
	permitSweepEvery = time.Minute
	noticeRetryEvery = time.Minute // a failed urgent text is sent again
	// videoSweepEvery bounds how late a box's alarm is auto-cleared; the
	// module reports 表3 every 10 minutes on its own schedule within it.
	videoSweepEvery = time.Minute
	// positionSweepEvery is how late a 滞留, 静止 or 缺员 with no fix to trigger
	// it may be noticed (each fix evaluates at once).
	positionSweepEvery = 10 * time.Second
)

// sweep is a module's background work, started by App.Run once the module is
// built and stopped with the sink.
type sweep func(ctx context.Context)

// baseSystemModules are the hosted base system's modules in the order of its
// navigation — 双重预防 (the list, tasks and checks; the hidden-danger ledger the
// checks hand findings to; 日常巡检), 特殊作业 and 人员定位 — and the sweeps they need.
// The ledger is listed before the checks because a check's finding enters it
// in the check's own transaction.
func baseSystemModules(cfg BaseSystemConfig, add func(sweep), secrets *sealed.Box) []enterprise.ModuleFactory {
	report := func(module string) func(error) {
		return func(err error) {
			// A sweep cut short by shutdown rolled back; it runs again after the restart.
			if errors.Is(err, context.Canceled) {
				return
			}
			slog.Error("base system sweep failed", "module", module, "err", err)
		}
	}
	ledger := dangers.NewLedger(dangers.DefaultConfig)
	add(func(ctx context.Context) {
		if err := ledger.Run(ctx, dangerSweepEvery); err != nil {
			report("dangers")(err)
		}
	})
	return []enterprise.ModuleFactory{
		dualprevention.Factory(dualprevention.Config{}, ledger, func(s *dualprevention.Service) {
			add(func(ctx context.Context) { s.Run(ctx, taskSweepEvery, report("dualprevention")) })
		}),
		ledger.Factory,
		rounds.Factory,
		permits.Factory(permits.Config{}, func(s *permits.Service) {
			add(func(ctx context.Context) { s.Run(ctx, permitSweepEvery, report("permits")) })
		}),
		video.Factory(video.Config{Secrets: secrets}, func(m *video.Module) {
			add(func(ctx context.Context) { m.Service().Run(ctx, videoSweepEvery, report("video")) })
		}),
		positioning.Factory(cfg.Positioning, func(s *positioning.Service) {
			add(func(ctx context.Context) { s.Run(ctx, positionSweepEvery, report("positioning")) })
			if cfg.PositioningMQTT.Enabled() {
				// The gateways' MQTT transport lives and stops with the sweeps;
				// a broker that cannot listen or connect is reported loudly but
				// leaves the HTTP batch API serving.
				add(func(ctx context.Context) {
					if err := mqttgw.Run(ctx, cfg.PositioningMQTT, s); err != nil {
						slog.Error("positioning MQTT intake not started: gateways must use the HTTP batch API", "err", err)
					}
				})
			}
		}),
	}
}

// intakeModule is a module that also takes requests from devices (the video
// module's analysis boxes, the positioning gateways) outside the member
// guard, authenticated by the device's own signed credential.
type intakeModule interface {
	RegisterIntake(r fiber.Router)
}
