package governance_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
)

func op(t *testing.T, id, typ, begin string) events.Operation {
	return events.Operation{ID: id, Company: "C1", Type: typ, Position: "1号罐区", Begin: at(t, begin),
		End: at(t, begin).Add(4 * 3600e9)}
}

// The 10:00 rule in full: a commitment declaring 2 一级动火 and 1 受限空间 with one
// 一级动火 permit by 10:00 is a fact naming both short counts, with the commitment
// and the permit as evidence; it is updated as permits arrive and closes when they
// suffice; a cancellation reopens it at the next tick.
func TestPermitsShortOfCommitment(t *testing.T) {
	tr := newTracker(t)
	cm := commitment(t, "08:00:00")
	cm.HotWork1, cm.ConfinedSpace = 2, 1
	tr.Apply(cm, at(t, "08:00:00"))
	tr.Apply(op(t, "P1", events.OpHotWork1, "09:00:00"), at(t, "08:30:00"))
	tr.Apply(op(t, "P9", "41", "09:00:00"), at(t, "08:31:00")) // 高处: not declared, not counted against
	require.Empty(t, ofKind(tr.Tick(at(t, "09:59:00")), governance.PermitsShort), "not before 10:00")

	ch := ofKind(tr.Tick(at(t, "10:00:30")), governance.PermitsShort)
	require.Len(t, ch, 1)
	f := ch[0].Fact
	assert.Equal(t, governance.FactOpened, ch[0].Kind)
	assert.Equal(t, "permits/2021-06-01", f.Subject)
	assert.Equal(t, "2021-06-01", f.Day)
	assert.Equal(t, at(t, "10:00:00"), f.Started)
	assert.Contains(t, f.Detail, "一级动火 承诺 2 项、作业票 1 张")
	assert.Contains(t, f.Detail, "受限空间 承诺 1 项、作业票 0 张")
	keys := map[string]bool{}
	for _, ev := range f.Evidence {
		keys[ev.Table+"/"+ev.Key] = true
	}
	assert.True(t, keys["commitments/CM-0601"] && keys["special-operations/P1"] && keys["special-operations/P9"], "%v", keys)

	// A second 一级动火 arrives: still short of the confined space, the fact says so.
	ch = ofKind(tr.Apply(op(t, "P2", events.OpHotWork1, "11:00:00"), at(t, "10:20:00")), governance.PermitsShort)
	require.Len(t, ch, 1)
	assert.Equal(t, governance.FactUpdated, ch[0].Kind)
	assert.NotContains(t, ch[0].Fact.Detail, "一级动火 承诺")
	// The confined-space permit closes it.
	ch = ofKind(tr.Apply(op(t, "P3", events.OpConfinedSpace, "13:00:00"), at(t, "10:40:00")), governance.PermitsShort)
	require.Len(t, ch, 1)
	assert.Equal(t, governance.FactClosed, ch[0].Kind)
	assert.Empty(t, openOf(tr, "C1", governance.PermitsShort))

	// Cancelling one reopens it at the next tick (a new fact: the old one is closed).
	p3 := op(t, "P3", events.OpConfinedSpace, "13:00:00")
	p3.Cancelled = true
	tr.Apply(p3, at(t, "11:00:00"))
	tr.Tick(at(t, "11:00:30"))
	require.Len(t, openOf(tr, "C1", governance.PermitsShort), 1)

	// The state survives a restart.
	b, err := tr.MarshalState()
	require.NoError(t, err)
	restored, err := governance.Restore(governance.DefaultConfig(), b)
	require.NoError(t, err)
	ch = ofKind(restored.Apply(op(t, "P4", events.OpConfinedSpace, "14:00:00"), at(t, "11:10:00")), governance.PermitsShort)
	require.Len(t, ch, 1)
	assert.Equal(t, governance.FactClosed, ch[0].Kind, "the restored tracker counts P1, P2 and P4")
}

// Nothing arrived at all is the same fact, with the absence as evidence; a
// commitment declaring no special operation needs no permit.
func TestPermitsMissingEntirely(t *testing.T) {
	tr := newTracker(t)
	cm := commitment(t, "08:00:00")
	cm.HotWorkSpecial = 1
	tr.Apply(cm, at(t, "08:00:00"))
	ch := ofKind(tr.Tick(at(t, "10:00:30")), governance.PermitsShort)
	require.Len(t, ch, 1)
	assert.Contains(t, ch[0].Fact.Detail, "特殊动火 承诺 1 项、作业票 0 张")
	require.Len(t, ch[0].Fact.Evidence, 2)
	assert.True(t, ch[0].Fact.Evidence[1].Absent)

	tr2 := newTracker(t)
	tr2.Apply(commitment(t, "08:00:00"), at(t, "08:00:00"))
	assert.Empty(t, ofKind(tr2.Tick(at(t, "10:00:30")), governance.PermitsShort))
}

// A video alarm on a channel another company registered, or from an analysis device
// the company never registered, is a fact with the alarm as evidence, closed by the
// company's own registration.
func TestAlarmOnForeignCameraOrUnregisteredDevice(t *testing.T) {
	tr := newTracker(t)
	tr.Apply(governance.Camera{Company: "C2", VideoCode: "370100002013200001"}, at(t, "07:00:00"))
	tr.Apply(governance.Camera{Company: "C1", VideoCode: "370100001013200001"}, at(t, "07:00:00"))
	tr.Apply(governance.VideoDevice{Company: "C1", Code: "BOX-1"}, at(t, "07:00:00"))

	alarm := func(id, video, device string) events.CompanyAlarm {
		return events.CompanyAlarm{Company: "C1", Source: events.SourceVideo, ID: id, Type: "8", Where: video,
			Device: device, Raised: true, At: at(t, "08:00:00")}
	}
	// Own channel, registered device: nothing.
	ch := tr.Apply(alarm("A0", "370100001013200001", "BOX-1"), at(t, "08:00:01"))
	assert.Empty(t, ofKind(ch, governance.CameraForeign))
	assert.Empty(t, ofKind(ch, governance.DeviceUnregistered))
	assert.Empty(t, ofKind(ch, governance.CameraUnregistered))

	ch = tr.Apply(alarm("A1", "370100002013200001", "BOX-9"), at(t, "08:00:02"))
	foreign := ofKind(ch, governance.CameraForeign)
	require.Len(t, foreign, 1)
	assert.Contains(t, foreign[0].Fact.Detail, "企业 C2")
	assert.Equal(t, "A1", foreign[0].Fact.Evidence[0].Key)
	assert.Empty(t, ofKind(ch, governance.CameraUnregistered), "registered elsewhere, not unknown")
	dev := ofKind(ch, governance.DeviceUnregistered)
	require.Len(t, dev, 1)
	assert.Equal(t, "BOX-9", dev[0].Fact.Subject)

	// A second alarm adds evidence to the open facts.
	ch = tr.Apply(alarm("A2", "370100002013200001", "BOX-9"), at(t, "08:05:00"))
	require.Len(t, ofKind(ch, governance.CameraForeign), 1)
	assert.Equal(t, governance.FactUpdated, ofKind(ch, governance.CameraForeign)[0].Kind)
	assert.Len(t, openOf(tr, "C1", governance.DeviceUnregistered)[0].Evidence, 2)

	// Registering closes them.
	ch = tr.Apply(governance.VideoDevice{Company: "C1", Code: "BOX-9"}, at(t, "09:00:00"))
	require.Len(t, ofKind(ch, governance.DeviceUnregistered), 1)
	assert.Equal(t, governance.FactClosed, ofKind(ch, governance.DeviceUnregistered)[0].Kind)
	assert.Len(t, openOf(tr, "C1", governance.CameraForeign), 1)

	ch = tr.Apply(governance.Camera{Company: "C1", VideoCode: "370100002013200001"}, at(t, "09:10:00"))
	require.Len(t, ofKind(ch, governance.CameraForeign), 1)
	assert.Equal(t, governance.FactClosed, ofKind(ch, governance.CameraForeign)[0].Kind)
}
