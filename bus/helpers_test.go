package bus_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
)

// published starts an embedded broker with partitions per topic (closed when the
// test ends), creates topics on it and publishes n messages to the first, keyed by
// keys letters in turn and valued by their number; it returns the broker's
// configuration and the messages.
func published(t *testing.T, partitions int, topics []string, n, keys int) (bus.Config, []bus.Message) {
	t.Helper()
	var msgs []bus.Message
	for i := 0; i < n; i++ {
		msgs = append(msgs, bus.Message{Topic: topics[0], Key: string(rune('a' + i%keys)), Value: []byte{byte(i)}})
	}
	b, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: t.TempDir(), Partitions: partitions})
	require.NoError(t, err)
	t.Cleanup(b.Close)
	cfg := bus.Config{Brokers: []string{b.Addr()}, Partitions: partitions}
	ctx := context.Background()
	require.NoError(t, bus.EnsureTopics(ctx, cfg, topics))
	p, err := bus.NewProducer(cfg)
	require.NoError(t, err)
	require.NoError(t, p.Publish(ctx, msgs))
	require.NoError(t, p.Close())
	return cfg, msgs
}
