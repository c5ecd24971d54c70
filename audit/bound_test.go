package audit_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/audit"
)

// Oversized fields are recorded truncated with a marker: the attempt is in the
// log, the value is not stored verbatim, and the chain still verifies.
func TestOversizedFieldsAreRecordedTruncated(t *testing.T) {
	ctx := context.Background()
	_, _, log := newLog(t, audit.Config{})
	huge := strings.Repeat("用", 5<<20/3)               // 5 MB username of 3-byte characters
	note := strings.Repeat("x", 8<<20)                 // 8 MB note
	invalid := "ok\xff\xfe" + strings.Repeat("y", 100) // bytes PostgreSQL refuses as text
	require.NoError(t, log.Record(ctx, audit.Event{Actor: huge, ClientIP: invalid, Action: audit.ActionLoginFailed,
		Object: "user:" + huge, Result: audit.ResultFailed, Detail: map[string]string{"note": note}}))
	recs, err := log.List(ctx, audit.Filter{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	r := recs[0]
	for name, v := range map[string]string{"actor": r.Actor, "object": r.Object, "detail": r.Detail, "client_ip": r.ClientIP} {
		assert.LessOrEqual(t, len(v), audit.MaxDetail, name)
		assert.True(t, utf8.ValidString(v), name)
	}
	assert.Contains(t, r.Actor, audit.TruncationMarker)
	assert.True(t, strings.HasPrefix(r.Actor, "用用用"))
	assert.Contains(t, r.Object, audit.TruncationMarker)
	assert.Contains(t, r.Detail, `"truncated":true`)
	assert.Contains(t, r.Detail, `"bytes":8388`)
	v, err := log.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, v.OK(), "%+v", v)
}

func TestBoundKeepsShortValues(t *testing.T) {
	assert.Equal(t, "zhangsan", audit.Bound("zhangsan", 64))
	cut := audit.Bound(strings.Repeat("危", 100), 64)
	assert.LessOrEqual(t, len(cut), 64+len(audit.TruncationMarker)+8)
	assert.True(t, utf8.ValidString(cut))
}
