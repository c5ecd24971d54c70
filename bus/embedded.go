package bus

import (
	"fmt"
	"net"
	"os"

	"github.com/twmb/franz-go/pkg/kfake"
)

// EmbeddedConfig configures the in-process broker.
type EmbeddedConfig struct {
	Dir  string // data directory: topics, messages and group offsets survive restarts
	Port int    // 0 picks a free port (on 127.0.0.1)
	// Addr, when set, is the host:port to listen on instead of 127.0.0.1:Port: the
	// address other processes reach the broker at (chemguard broker). The broker
	// tells clients this same address, so it must not be a wildcard like 0.0.0.0.
	Addr       string
	Partitions int // default partitions for auto-created topics
	// SyncWrites fsyncs every produced batch before acknowledging it. chemguard turns
	// it on by default: without it, kfake's recovery after the process is killed lost
	// acknowledged records at the tail of a partition (measured by
	// TestKilledProcessLosesNothingAcknowledged, which fails without it and passes
	// with it). It costs about a quarter of the acknowledgement rate.
	SyncWrites bool
}

// Embedded is franz-go's kfake broker run inside the chemguard process: one node,
// real Kafka protocol, persisted to disk.
type Embedded struct {
	c *kfake.Cluster
}

// StartEmbedded starts the broker and reloads what its directory holds.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("bus: embedded broker needs a data directory")
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("bus: embedded broker dir: %w", err)
	}
	if cfg.Partitions < 1 {
		cfg.Partitions = 1
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(cfg.Port),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(cfg.Partitions),
		kfake.DataDir(cfg.Dir),
	}
	if cfg.Addr != "" {
		host, _, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("bus: embedded broker address %q: %w", cfg.Addr, err)
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			return nil, fmt.Errorf("bus: embedded broker address %q: give the address clients reach it at, not a wildcard", cfg.Addr)
		}
		opts = append(opts, kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, cfg.Addr)
		}))
	}
	if cfg.SyncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("bus: start embedded broker: %w", err)
	}
	return &Embedded{c: c}, nil
}

// Addr is the broker's address (127.0.0.1:port).
func (e *Embedded) Addr() string { return e.c.ListenAddrs()[0] }

// Close stops the broker, flushing its data directory.
func (e *Embedded) Close() { e.c.Close() }
