package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"time"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/config"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// ConsumerGroups are the platform's consumer groups: every one stores what it reads
// in PostgreSQL before committing the offsets in the broker.
func ConsumerGroups() []string {
	return []string{ingest.SinkGroup, warningsvc.Group, governancesvc.Group}
}

// Broker runs the embedded broker on its own (`chemguard broker`) until ctx ends,
// so that several `chemguard serve` processes share it as nodes share a Kafka
// cluster (CHEMGUARD_KAFKA_BROKERS=its address). It listens on
// CHEMGUARD_BROKER_ADDR, keeps its log under CHEMGUARD_DATA_DIR/kafka and creates
// every topic with CHEMGUARD_KAFKA_PARTITIONS partitions before it says it is up.
// On SIGTERM it closes, flushing the log and the groups' offsets.
func Broker(ctx context.Context, c *config.Config, stdout io.Writer) error {
	dir := filepath.Join(c.DataDir, "kafka")
	b, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: dir, Addr: c.Kafka.BrokerAddr,
		Partitions: c.Kafka.Partitions, SyncWrites: c.Kafka.SyncWrites})
	if err != nil {
		return err
	}
	defer b.Close()
	cfg := bus.Config{Brokers: []string{b.Addr()}, Partitions: c.Kafka.Partitions, ReplicationFactor: 1}
	topics := slices.Concat(events.Topics(), warningsvc.Topics())
	slices.Sort(topics)
	if err := bus.EnsureTopics(ctx, cfg, slices.Compact(topics)); err != nil {
		return err
	}
	// The line a supervisor or a test waits for: the broker answers from here on.
	fmt.Fprintf(stdout, "chemguard broker ready on %s (data %s, %d partitions per topic, fsync %v)\n",
		b.Addr(), dir, c.Kafka.Partitions, c.Kafka.SyncWrites)
	slog.Info("broker ready", "addr", b.Addr(), "dir", dir, "partitions", c.Kafka.Partitions, "sync_writes", c.Kafka.SyncWrites)
	<-ctx.Done()
	slog.Info("broker stopping")
	return nil
}

// OffsetsFile is what `chemguard broker offsets save` writes: the committed offsets
// of every consumer group at one moment. The backup takes it before the database
// dump, so every offset in it is covered by the dump (each group commits only after
// storing), and the restore sets the groups back to it: what the dump lacks is read
// again from the broker's copy, and the stores skip what the dump already has.
type OffsetsFile struct {
	TakenAt time.Time                   `json:"taken_at"`
	Brokers []string                    `json:"brokers"`
	Groups  map[string]bus.GroupOffsets `json:"groups"`
}

// SaveOffsets writes the consumer groups' committed offsets to w.
func SaveOffsets(ctx context.Context, c *config.Config, now time.Time, w io.Writer) error {
	cfg, err := adminBus(c)
	if err != nil {
		return err
	}
	f := OffsetsFile{TakenAt: now.UTC(), Brokers: cfg.Brokers, Groups: map[string]bus.GroupOffsets{}}
	for _, g := range ConsumerGroups() {
		if f.Groups[g], err = bus.FetchGroupOffsets(ctx, cfg, g); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}

// RestoreOffsets sets every consumer group's committed offsets to those r holds
// (bus.ResetGroupOffsets), waiting up to wait for members of a group to leave: a
// broker restored from a copy taken while nodes consumed still lists them until
// their sessions expire. No `chemguard serve` may run meanwhile.
func RestoreOffsets(ctx context.Context, c *config.Config, r io.Reader, wait time.Duration) error {
	var f OffsetsFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return fmt.Errorf("platform: offsets file: %w", err)
	}
	cfg, err := adminBus(c)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(wait)
	for _, g := range ConsumerGroups() {
		for {
			err = bus.ResetGroupOffsets(ctx, cfg, g, f.Groups[g])
			if !errors.Is(err, bus.ErrGroupActive) || time.Now().After(deadline) {
				break
			}
			if !bus.Sleep(ctx, time.Second) {
				return ctx.Err()
			}
		}
		if err != nil {
			return err
		}
		slog.Info("consumer group offsets restored", "group", g, "taken_at", f.TakenAt)
	}
	return nil
}

// adminBus is the bus configuration of the offsets commands: a broker must be named.
func adminBus(c *config.Config) (bus.Config, error) {
	if len(c.Kafka.Brokers) == 0 {
		return bus.Config{}, config.Invalid("CHEMGUARD_KAFKA_BROKERS",
			errors.New("name the broker (chemguard broker's address)"))
	}
	sec, err := kafkaSecurity(c.Kafka)
	if err != nil {
		return bus.Config{}, err
	}
	return bus.Config{Brokers: c.Kafka.Brokers, Partitions: c.Kafka.Partitions, Security: sec}, nil
}
