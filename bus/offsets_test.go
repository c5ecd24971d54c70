package bus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
)

// The restore sets a consumer group back to saved offsets: refused while a consumer
// is in the group (it would commit over them), then every saved partition gets its
// offset and a partition committed since but not saved goes back to its log's start.
func TestResetGroupOffsets(t *testing.T) {
	cfg, msgs := published(t, 2, []string{"t.a"}, 40, 20)
	ctx := context.Background()

	saved, err := bus.FetchGroupOffsets(ctx, cfg, "g")
	require.NoError(t, err)
	assert.Empty(t, saved, "a group that never committed has no offsets")

	c, err := bus.NewConsumer(bus.ConsumerConfig{Bus: cfg, GroupID: "g", Topics: []string{"t.a"}, MaxWait: 200 * time.Millisecond})
	require.NoError(t, err)
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	var got []bus.Message
	for len(got) < len(msgs) {
		batch, err := c.FetchBatch(fctx)
		require.NoError(t, err)
		got = append(got, batch...)
	}
	cancel()
	require.NoError(t, c.Commit(ctx, got))
	now, err := bus.FetchGroupOffsets(ctx, cfg, "g")
	require.NoError(t, err)
	require.Len(t, now["t.a"], 2, "both partitions committed")
	lag, err := bus.GroupLag(ctx, cfg, "g", []string{"t.a"})
	require.NoError(t, err)
	assert.Zero(t, lag)

	want := bus.GroupOffsets{"t.a": {0: 3}} // partition 1 not saved: back to its start
	err = bus.ResetGroupOffsets(ctx, cfg, "g", want)
	assert.True(t, errors.Is(err, bus.ErrGroupActive), "refused while the consumer is a member: %v", err)
	require.NoError(t, c.Close())
	require.NoError(t, bus.ResetGroupOffsets(ctx, cfg, "g", want))
	after, err := bus.FetchGroupOffsets(ctx, cfg, "g")
	require.NoError(t, err)
	assert.Equal(t, bus.GroupOffsets{"t.a": {0: 3, 1: 0}}, after)
	lag, err = bus.GroupLag(ctx, cfg, "g", []string{"t.a"})
	require.NoError(t, err)
	assert.Equal(t, int64(len(msgs)-3), lag)
}

// The broker tells clients the address it listens on, so a wildcard is refused.
func TestEmbeddedRefusesWildcardAddress(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		_, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: t.TempDir(), Addr: addr})
		assert.ErrorContains(t, err, "not a wildcard", addr)
	}
	b, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: t.TempDir(), Addr: "127.0.0.1:0"})
	require.NoError(t, err)
	defer b.Close()
	assert.Regexp(t, `^127\.0\.0\.1:[1-9][0-9]*$`, b.Addr())
}

// With Idle, a batch ends once no message came for that long, well before MaxWait:
// messages sent one after another within the idle gap go in one batch, and the batch
// is handed over soon after the last of them.
func TestIdleEndsABatchBeforeMaxWait(t *testing.T) {
	cfg, first := published(t, 1, []string{"t.a"}, 1, 1)
	ctx := context.Background()
	c, err := bus.NewConsumer(bus.ConsumerConfig{Bus: cfg, GroupID: "g", Topics: []string{"t.a"},
		MaxWait: time.Minute, Idle: 2 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	p, err := bus.NewProducer(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	go func() {
		for i := range 5 { // every 100 ms, well within the idle gap
			time.Sleep(100 * time.Millisecond)
			_ = p.Publish(ctx, []bus.Message{{Topic: "t.a", Key: "a", Value: []byte{byte(i + 1)}}})
		}
	}()
	start := time.Now()
	batch, err := c.FetchBatch(ctx)
	require.NoError(t, err)
	took := time.Since(start)
	assert.Len(t, batch, len(first)+5, "the messages within the idle gap in one batch")
	assert.Less(t, took, 30*time.Second, "handed over after the idle gap, not after MaxWait")
}
