package governance_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
)

// platform drives a tracker the way the governance consumer does: every batch
// advances the platform's intake by its receive times (from every company), and
// the tick judges absence on that intake.
type platform struct {
	tb testing.TB
	tr *governance.Tracker
	in events.Intake
}

func newPlatform(tb testing.TB) *platform { return &platform{tb: tb, tr: newTracker(tb)} }

// send delivers one reading and a status report of every company, received at now.
func (p *platform) send(now time.Time, companies ...string) {
	var received []time.Time
	for range companies {
		received = append(received, now)
	}
	p.in = p.in.Advance(received, p.tr.Config().Limits.IntakeGap)
	p.tr.SetIntake(p.in)
	for _, c := range companies {
		p.tr.Apply(governance.Upload{Company: c, Table: events.TableSensorReadings, Accepted: 1}, now)
		p.tr.Apply(events.Reading{Company: c, Indicator: "P1", Value: 1, At: now}, now)
		p.tr.Apply(events.DeviceStatus{Company: c, Device: "V1", At: now, Normal: true}, now)
	}
}

// run has the companies send every minute from from to to, included, the tracker
// ticking after each minute.
func (p *platform) run(from, to time.Time, companies ...string) {
	for now := from; !now.After(to); now = now.Add(time.Minute) {
		p.send(now, companies...)
		p.tick(now)
	}
}

func (p *platform) tick(now time.Time) []governance.Change { return p.tr.TickIntake(now, p.in) }

// A platform-side outage — nobody's data arrives for 30 minutes, then everyone's
// does again — opens no offline fact for anyone, neither during it nor after.
func TestPlatformOutageOpensNoOfflineFact(t *testing.T) {
	p := newPlatform(t)
	for m := 0; m <= 20; m++ {
		now := at(t, "08:00:00").Add(time.Duration(m) * time.Minute)
		p.send(now, "C1", "C2")
		require.Empty(t, p.tick(now))
	}
	// 08:20–08:50: ingest is down; the governance clock runs on, the intake does not.
	for m := 1; m <= 30; m++ {
		require.Empty(t, p.tick(at(t, "08:20:00").Add(time.Duration(m)*time.Minute)), "minute %d of the outage", m)
	}
	// Everyone resumes at 08:50.
	for m := 30; m <= 60; m++ {
		now := at(t, "08:20:00").Add(time.Duration(m) * time.Minute)
		p.send(now, "C1", "C2")
		require.Empty(t, p.tick(now.Add(30*time.Second)))
	}
	assert.Equal(t, at(t, "08:50:00"), p.in.Since, "the intake restarted at the resumption")
	for _, c := range []string{"C1", "C2"} {
		assert.True(t, p.tr.Status(c).Online, c)
		assert.Empty(t, p.tr.OpenFacts(c), c)
	}
}

// After an outage, silence counts from the resumption: a company that does not
// come back while the others do goes offline once the limit has passed since the
// resumption, from its last reading.
func TestSilenceCountsFromTheIntakeResumption(t *testing.T) {
	p := newPlatform(t)
	p.send(at(t, "08:00:00"), "C1", "C2")
	require.Empty(t, p.tick(at(t, "08:40:00")), "platform outage")
	p.run(at(t, "08:40:00"), at(t, "08:49:00"), "C2")
	p.send(at(t, "08:50:00"), "C2")
	require.Empty(t, ofKind(p.tick(at(t, "08:50:00")), governance.OfflineReadings), "10 minutes since the resumption: the limit")
	p.send(at(t, "08:50:30"), "C2")
	ch := ofKind(p.tick(at(t, "08:50:30")), governance.OfflineReadings)
	require.Len(t, ch, 1)
	assert.Equal(t, "C1", ch[0].Fact.Company)
	assert.Equal(t, at(t, "08:00:00"), ch[0].Fact.Started, "the spell starts at its last reading")
}

// A lagging consumer judges absence up to the newest record it applied, not the
// wall clock.
func TestAbsenceMeasuredOnIntakeClock(t *testing.T) {
	p := newPlatform(t)
	p.send(at(t, "08:00:00"), "C1", "C2")
	p.run(at(t, "08:01:00"), at(t, "08:05:00"), "C2")
	require.Empty(t, p.tick(at(t, "08:30:00")), "the newest record applied was received at 08:05")
	p.run(at(t, "08:06:00"), at(t, "08:10:00"), "C2")
	p.send(at(t, "08:10:30"), "C2")
	require.Len(t, ofKind(p.tick(at(t, "08:30:00")), governance.OfflineReadings), 1)
}

// An outage across 10:00 gives nobody 未承诺: the commitment is not missing while the
// platform takes nothing, and after the intake resumes past 10:00 the companies
// have upload_grace to resend it; one that still has not is then 未承诺, and a
// commitment resent within the grace is judged by its own COMMIT_TIME, not late.
func TestOutageAcross10NoMissingCommitment(t *testing.T) {
	p := newPlatform(t)
	p.send(at(t, "09:40:00"), "C1", "C2", "C3")
	for _, hm := range []string{"09:59:59", "10:00:00", "10:10:00", "10:29:00"} {
		require.Empty(t, ofKind(p.tick(at(t, hm)), governance.CommitmentMissing), hm)
	}
	// The platform takes data again from 10:30: C1 resends its 09:55 commitment at
	// 10:31, C2 commits at 10:35, C3 not at all.
	p.send(at(t, "10:30:00"), "C1", "C2", "C3")
	require.Empty(t, ofKind(p.tick(at(t, "10:30:00")), governance.CommitmentMissing))
	ch := p.tr.Apply(events.Commitment{Company: "C1", ID: "CM1", Date: at(t, "00:00:00"), At: at(t, "09:55:00")}, at(t, "10:31:00"))
	assert.Empty(t, ch, "resent within the grace, committed at 09:55: on time")
	ch = p.tr.Apply(events.Commitment{Company: "C2", ID: "CM2", Date: at(t, "00:00:00"), At: at(t, "10:35:00")}, at(t, "10:35:00"))
	require.Len(t, ofKind(ch, governance.CommitmentLate), 1, "committed at 10:35: late, by its own time")
	p.run(at(t, "10:31:00"), at(t, "10:38:00"), "C1", "C2", "C3")
	p.send(at(t, "10:39:00"), "C1", "C2", "C3")
	require.Empty(t, ofKind(p.tick(at(t, "10:39:00")), governance.CommitmentMissing), "within the grace")
	p.send(at(t, "10:40:00"), "C1", "C2", "C3")
	ch = ofKind(p.tick(at(t, "10:40:00")), governance.CommitmentMissing)
	require.Len(t, ch, 1)
	assert.Equal(t, "C3", ch[0].Fact.Company)
}

// Without an outage the 10:00 commitment is due at 10:00 as before.
func TestCommitmentMissingAt10WhileIntakeRuns(t *testing.T) {
	p := newPlatform(t)
	p.send(at(t, "09:59:00"), "C1")
	p.send(at(t, "10:00:00"), "C1")
	require.Len(t, ofKind(p.tick(at(t, "10:00:00")), governance.CommitmentMissing), 1)
}

func TestIntakeAdvance(t *testing.T) {
	gap := 2 * time.Minute
	var in events.Intake
	in = in.Advance([]time.Time{at(t, "08:00:05"), at(t, "08:00:00")}, gap)
	assert.Equal(t, events.Intake{At: at(t, "08:00:05"), Since: at(t, "08:00:00")}, in, "first batch")
	in = in.Advance([]time.Time{at(t, "08:01:00")}, gap)
	assert.Equal(t, at(t, "08:00:00"), in.Since, "no gap")
	in = in.Advance([]time.Time{at(t, "08:30:00")}, gap)
	assert.Equal(t, events.Intake{At: at(t, "08:30:00"), Since: at(t, "08:30:00")}, in, "resumed after a gap")
	in = in.Advance([]time.Time{at(t, "08:31:00"), at(t, "08:40:00")}, gap)
	assert.Equal(t, at(t, "08:40:00"), in.Since, "a gap inside the batch")
	in = in.Advance([]time.Time{at(t, "08:20:00")}, gap)
	assert.Equal(t, events.Intake{At: at(t, "08:40:00"), Since: at(t, "08:40:00")}, in, "an old record moves nothing back")
	assert.Equal(t, in, in.Advance(nil, gap))
}
