package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
)

// An idle consumer's partition fetches wait in the broker's long-poll (5 s);
// Close ends them instead of waiting them out, and still leaves the group.
// Before the dialer closed a cancelled reader's connection, this Close took
// 3-5 s.
func TestCloseDoesNotWaitOutTheLongPoll(t *testing.T) {
	cfg, msgs := published(t, 3, []string{"t.a", "t.b"}, 30, 10)
	ctx := context.Background()

	c, err := bus.NewConsumer(bus.ConsumerConfig{Bus: cfg, GroupID: "g", Topics: []string{"t.a", "t.b"}})
	require.NoError(t, err)
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var got []bus.Message
	for len(got) < len(msgs) {
		batch, err := c.FetchBatch(fctx)
		require.NoError(t, err)
		got = append(got, batch...)
	}
	require.NoError(t, c.Commit(ctx, got))
	time.Sleep(500 * time.Millisecond) // every partition's fetch now waits at the broker

	start := time.Now()
	require.NoError(t, c.Close())
	assert.Less(t, time.Since(start), 2*time.Second, "Close waited for the idle fetches")
	// Left the group: its offsets can be reset at once.
	require.NoError(t, bus.ResetGroupOffsets(ctx, cfg, "g", bus.GroupOffsets{"t.a": {0: 0}}))
}
