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
	b, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: t.TempDir(), Partitions: 3})
	require.NoError(t, err)
	defer b.Close()
	cfg := bus.Config{Brokers: []string{b.Addr()}, Partitions: 3}
	ctx := context.Background()
	require.NoError(t, bus.EnsureTopics(ctx, cfg, []string{"t.a", "t.b"}))
	p, err := bus.NewProducer(cfg)
	require.NoError(t, err)
	defer p.Close()
	var msgs []bus.Message
	for i := 0; i < 30; i++ {
		msgs = append(msgs, bus.Message{Topic: "t.a", Key: string(rune('a' + i%10)), Value: []byte{byte(i)}})
	}
	require.NoError(t, p.Publish(ctx, msgs))

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
