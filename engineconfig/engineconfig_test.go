package engineconfig_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard/engineconfig"
)

func TestChecks(t *testing.T) {
	const e engineconfig.Engine = "warning"
	for _, tc := range []struct {
		name string
		err  error
		want error  // nil: passes
		msg  string // the error's text when it fails
	}{
		{"version present", e.Version("2021.2-default"), nil, ""},
		{"version empty", e.Version(""), engineconfig.ErrNoVersion, "warning: config has no version"},
		{"zero and positive numbers", engineconfig.NonNegative(e, "leak", 0, 1.5, 30), nil, ""},
		{"a negative float", engineconfig.NonNegative(e, "enterprise.factors.alarm", 15, -0.1), engineconfig.ErrNegative,
			"warning: config holds a negative number or duration: enterprise.factors.alarm"},
		{"a negative duration", engineconfig.NonNegative(e, "leak.window", time.Minute, -time.Second), engineconfig.ErrNegative,
			"warning: config holds a negative number or duration: leak.window"},
		{"a negative count", engineconfig.NonNegative(e, "violation.repeat", 3, -1), engineconfig.ErrNegative, ""},
		{"every entry there", engineconfig.Complete(e, "leak.factors", map[string]int{"a": 1, "b": 0}, []string{"a", "b"}), nil, ""},
		{"an entry missing", engineconfig.Complete(e, "leak.factors", map[string]int{"a": 1}, []string{"a", "spread"}), engineconfig.ErrMissing,
			"warning: config lacks an entry the engine needs: leak.factors.spread"},
		{"positive durations", engineconfig.Positive(e, "limits.alarm_clear_after.video", time.Hour), nil, ""},
		{"a zero duration that must pass", engineconfig.Positive(e, "limits.alarm_clear_after.video", 0), engineconfig.ErrNegative,
			"warning: config holds a negative number or duration: limits.alarm_clear_after.video"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == nil {
				assert.NoError(t, tc.err)
				return
			}
			assert.True(t, errors.Is(tc.err, tc.want), "%v is %v", tc.err, tc.want)
			if tc.msg != "" {
				assert.EqualError(t, tc.err, tc.msg)
			}
		})
	}
}
