package bus_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
)

// A company's records land on the same partition number in every topic (the warning
// engine scales out by partition and needs a company's tables together), and the
// embedded broker keeps them across a restart.
func TestCoPartitioningAndPersistence(t *testing.T) {
	dir := t.TempDir()
	b, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: dir, Partitions: 6})
	require.NoError(t, err)
	cfg := bus.Config{Brokers: []string{b.Addr()}, Partitions: 6}
	topics := []string{"t.a", "t.b", "t.c"}
	ctx := context.Background()
	require.NoError(t, bus.EnsureTopics(ctx, cfg, topics))
	require.NoError(t, bus.EnsureTopics(ctx, cfg, topics), "creating existing topics is fine")
	p, err := bus.NewProducer(cfg)
	require.NoError(t, err)
	companies := []string{"370102001", "370211003", "371702010", "370303001", "370602002", "371402001", "370883001"}
	var msgs []bus.Message
	for _, c := range companies {
		for _, tp := range topics {
			msgs = append(msgs, bus.Message{Topic: tp, Key: c, Value: []byte(c + "@" + tp)})
		}
	}
	require.NoError(t, p.Publish(ctx, msgs))
	require.NoError(t, p.Close())
	b.Close()

	b, err = bus.StartEmbedded(bus.EmbeddedConfig{Dir: dir, Partitions: 6})
	require.NoError(t, err)
	defer b.Close()
	partitionOf := map[string]map[string]int{} // company → topic → partition
	for _, tp := range topics {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{b.Addr()}, GroupID: "test", Topic: tp, StartOffset: kafka.FirstOffset, MaxWait: 200 * time.Millisecond})
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		for i := 0; i < len(companies); i++ {
			m, err := r.FetchMessage(rctx)
			require.NoError(t, err, "message %d of %s survived the restart", i, tp)
			if partitionOf[string(m.Key)] == nil {
				partitionOf[string(m.Key)] = map[string]int{}
			}
			partitionOf[string(m.Key)][tp] = m.Partition
		}
		cancel()
		r.Close()
	}
	used := map[int]bool{}
	for _, c := range companies {
		require.Len(t, partitionOf[c], len(topics))
		assert.Equal(t, partitionOf[c]["t.a"], partitionOf[c]["t.b"], c)
		assert.Equal(t, partitionOf[c]["t.a"], partitionOf[c]["t.c"], c)
		used[partitionOf[c]["t.a"]] = true
	}
	assert.Greater(t, len(used), 1, "companies spread over partitions")
}

// A consumer's fetch asks a partition for about one batch's worth: a backlog of
// batches each nearly that large (incompressible records close to the producer's
// batch limit), beside small ones, is still read whole and in order, and the
// group ends with nothing behind.
func TestConsumerReadsABacklogOfFullBatches(t *testing.T) {
	b, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: t.TempDir(), Partitions: 1})
	require.NoError(t, err)
	defer b.Close()
	cfg := bus.Config{Brokers: []string{b.Addr()}, Partitions: 1}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, bus.EnsureTopics(ctx, cfg, []string{"t.big"}))
	p, err := bus.NewProducer(cfg)
	require.NoError(t, err)
	defer p.Close()
	var want [][]byte
	for i := range 12 {
		big := make([]byte, 900<<10) // one record per batch: two would pass the batch limit
		_, _ = rand.Read(big)
		small := []byte(fmt.Sprintf("small %d", i))
		require.NoError(t, p.Publish(ctx, []bus.Message{{Topic: "t.big", Key: "k", Value: big}}))
		require.NoError(t, p.Publish(ctx, []bus.Message{{Topic: "t.big", Key: "k", Value: small}}))
		want = append(want, big, small)
	}
	c, err := bus.NewConsumer(bus.ConsumerConfig{Bus: cfg, GroupID: "g.big", Topics: []string{"t.big"}, MaxBatch: 5})
	require.NoError(t, err)
	defer c.Close()
	var got [][]byte
	for len(got) < len(want) {
		batch, err := c.FetchBatch(ctx)
		require.NoError(t, err, "after %d of %d messages", len(got), len(want))
		for _, m := range batch {
			got = append(got, m.Value)
		}
		require.NoError(t, c.Commit(ctx, batch))
	}
	require.Len(t, got, len(want))
	for i := range want {
		assert.True(t, bytes.Equal(want[i], got[i]), "message %d", i)
	}
	lag, err := bus.GroupLag(ctx, cfg, "g.big", []string{"t.big"})
	require.NoError(t, err)
	assert.Zero(t, lag)
}

// An upload larger than a produced batch, of runs of keys on two topics, arrives
// whole: every message on its key's partition, with its key, in the order published.
func TestPublishLargerThanABatch(t *testing.T) {
	b, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: t.TempDir(), Partitions: 3})
	require.NoError(t, err)
	defer b.Close()
	cfg := bus.Config{Brokers: []string{b.Addr()}, Partitions: 3}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topics := []string{"t.records", "t.rejected"}
	require.NoError(t, bus.EnsureTopics(ctx, cfg, topics))
	p, err := bus.NewProducer(cfg)
	require.NoError(t, err)
	defer p.Close()
	var msgs []bus.Message
	for i := range 2600 {
		key := fmt.Sprint("37010200", i/700) // runs of one company, as uploads are
		msgs = append(msgs, bus.Message{Topic: topics[i%7/6], Key: key, Value: []byte(fmt.Sprint(key, "#", i))})
	}
	require.NoError(t, p.Publish(ctx, msgs))
	c, err := bus.NewConsumer(bus.ConsumerConfig{Bus: cfg, GroupID: "g.large", Topics: topics})
	require.NoError(t, err)
	defer c.Close()
	got := map[string][]string{} // topic|key → values in partition order
	partition := map[string]int{}
	for n := 0; n < len(msgs); {
		batch, err := c.FetchBatch(ctx)
		require.NoError(t, err, "after %d of %d messages", n, len(msgs))
		for _, m := range batch {
			k := m.Topic + "|" + m.Key
			got[k] = append(got[k], string(m.Value))
			if p, seen := partition[m.Key]; seen {
				require.Equal(t, p, m.Partition, "%s stays on its partition", m.Key)
			}
			partition[m.Key] = m.Partition
		}
		n += len(batch)
		require.NoError(t, c.Commit(ctx, batch))
	}
	want := map[string][]string{}
	for _, m := range msgs {
		want[m.Topic+"|"+m.Key] = append(want[m.Topic+"|"+m.Key], string(m.Value))
	}
	require.Equal(t, want, got)
}

// BenchmarkPublish is one 500-record upload's publish, as the intake makes it: one
// company's envelopes of about 400 bytes, on the embedded broker without fsync.
func BenchmarkPublish(b *testing.B) {
	e, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: b.TempDir(), Partitions: 6})
	require.NoError(b, err)
	defer e.Close()
	cfg := bus.Config{Brokers: []string{e.Addr()}, Partitions: 6}
	ctx := context.Background()
	require.NoError(b, bus.EnsureTopics(ctx, cfg, []string{"t.bench"}))
	p, err := bus.NewProducer(cfg)
	require.NoError(b, err)
	defer p.Close()
	msgs := make([]bus.Message, 500)
	for i := range msgs {
		v := make([]byte, 400)
		_, _ = rand.Read(v[:100])
		msgs[i] = bus.Message{Topic: "t.bench", Key: "370102001", Value: v}
	}
	b.ReportAllocs()
	for b.Loop() {
		require.NoError(b, p.Publish(ctx, msgs))
	}
}
