// Package bus owns chemguard's use of Kafka: the embedded in-process broker, topic
// creation, the producer the ingest path acknowledges through, and the batching
// consumer the sink and other stages read with. Everything speaks the real Kafka
// protocol through segmentio/kafka-go, so the same code runs against a cluster.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
)

// Config says where the brokers are and how topics are laid out.
type Config struct {
	Brokers           []string
	Partitions        int // per topic; the same for every topic so a company's tables co-partition
	ReplicationFactor int // 1 for the embedded broker, 3 on a cluster
	// Security is TLS and SASL for a production cluster; zero for the embedded broker.
	Security Security
}

// Errors returned by Config.Validate.
var (
	ErrNoBrokers  = errors.New("bus: no brokers configured")
	ErrPartitions = errors.New("bus: partitions must be at least 1")
)

// Validate checks the configuration.
func (c Config) Validate() error {
	if len(c.Brokers) == 0 {
		return ErrNoBrokers
	}
	if c.Partitions < 1 {
		return ErrPartitions
	}
	return nil
}

// EnsureTopics creates the topics that do not exist yet, with cfg's partition count.
// Existing topics are left as they are.
func EnsureTopics(ctx context.Context, cfg Config, topics []string) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	rf := cfg.ReplicationFactor
	if rf < 1 {
		rf = 1
	}
	client := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Timeout: 10 * time.Second, Transport: cfg.transport()}
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: cfg.Partitions, ReplicationFactor: rf})
	}
	resp, err := client.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("bus: create topics: %w", err)
	}
	for topic, terr := range resp.Errors {
		if terr != nil && !errors.Is(terr, kafka.TopicAlreadyExists) {
			return fmt.Errorf("bus: create topic %s: %w", topic, terr)
		}
	}
	return nil
}

// Ping checks that a broker answers within ctx.
func Ping(ctx context.Context, cfg Config) error {
	var d net.Dialer
	var last error
	for _, b := range cfg.Brokers {
		conn, err := d.DialContext(ctx, "tcp", b)
		if err == nil {
			conn.Close()
			client := &kafka.Client{Addr: kafka.TCP(b), Timeout: 2 * time.Second, Transport: cfg.transport()}
			if _, err = client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{}}); err == nil {
				return nil
			}
		}
		last = err
	}
	return fmt.Errorf("bus: no broker reachable: %w", last)
}

// ParseBrokers splits a comma-separated broker list.
func ParseBrokers(s string) []string {
	var out []string
	for _, b := range strings.Split(s, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// Message is one record on the bus, published or consumed. Key decides the partition
// (the company code, so a company's records of every table keep their order on the
// same partition number). Partition, Offset and Time are the broker's: set on a
// consumed message, ignored when publishing. It is bus's own type so that no stage
// depends on the Kafka client library.
type Message struct {
	Topic     string
	Partition int
	Offset    int64
	Key       string
	Value     []byte
	Time      time.Time // when the broker appended it
}

// fromKafka converts a fetched message.
func fromKafka(m kafka.Message) Message {
	return Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: string(m.Key),
		Value: m.Value, Time: m.Time}
}

// maxBatchBytes bounds one produced batch: the broker's default message.max.bytes
// (files travel by reference, so no record comes near it). It is also what one
// consumer fetch asks of one partition, so a whole batch always fits a fetch.
const maxBatchBytes = 1 << 20

// maxBatchMessages bounds one produced batch by count. kafka-go allocates (and
// zeroes) a batch's message slice at this capacity before it holds anything, and an
// HTTP batch of one company is one batch per topic: at 5,000 a 500-record upload
// cost 760 kB of slice, mostly empty — more garbage than its records' envelopes.
// Larger uploads are split into batches of this many, written in order on their
// partition.
const maxBatchMessages = 1000

// Producer publishes synchronously: Publish returns only after every message was
// acknowledged by all in-sync replicas, so a nil error means durable.
type Producer struct {
	w *kafka.Writer
}

// NewProducer returns a producer for cfg's brokers.
func NewProducer(cfg Config) (*Producer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Producer{w: &kafka.Writer{
		Addr:         kafka.TCP(cfg.Brokers...),
		Transport:    cfg.transport(),
		Balancer:     &kafka.Hash{}, // same key → same partition number in every topic
		RequiredAcks: kafka.RequireAll,
		BatchSize:    maxBatchMessages,
		BatchBytes:   maxBatchBytes,
		BatchTimeout: 2 * time.Millisecond,
		// Envelopes are JSON that snappy shrinks several times over, and every consumer
		// group fetches every batch: the broker stores, copies and sends the
		// compressed batch (kfake does not open it), and the consumers' reader
		// decompresses it, which costs less than moving the plain bytes around.
		Compression:  kafka.Snappy,
		WriteTimeout: 10 * time.Second,
		ReadTimeout:  10 * time.Second,
		MaxAttempts:  3,
		ErrorLogger:  kafkaLogger(slog.LevelWarn),
	}}, nil
}

// Publish writes msgs in one call and waits for the acknowledgements.
func (p *Producer) Publish(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	km := make([]kafka.Message, len(msgs))
	var key []byte
	for i, m := range msgs {
		// An upload's messages share their company's key: converted once, since
		// kafka-go only reads it (to pick the partition and to write it out).
		if i == 0 || m.Key != msgs[i-1].Key {
			key = []byte(m.Key)
		}
		km[i] = kafka.Message{Topic: m.Topic, Key: key, Value: m.Value}
	}
	if err := p.w.WriteMessages(ctx, km...); err != nil {
		return fmt.Errorf("bus: publish %d messages: %w", len(msgs), err)
	}
	return nil
}

// Close flushes and closes the producer.
func (p *Producer) Close() error { return p.w.Close() }

// ConsumerConfig configures a consumer-group reader.
type ConsumerConfig struct {
	Bus      Config
	GroupID  string
	Topics   []string
	MaxBatch int           // messages per batch
	MaxWait  time.Duration // how long a batch waits to fill once it has a message
	// Idle, when set, also ends a batch once no message came for that long, MaxWait
	// then capping the whole gather: a stage that is better off with long batches
	// under load (fewer stores of each company's state) still hands over a sparse
	// batch — a test's, a quiet night's — at once.
	Idle time.Duration
}

// Consumer reads a consumer group in batches and commits offsets only when told,
// after the batch was processed.
type Consumer struct {
	r   *kafka.Reader
	cfg ConsumerConfig
}

// NewConsumer joins cfg.GroupID for cfg.Topics.
func NewConsumer(cfg ConsumerConfig) (*Consumer, error) {
	if err := cfg.Bus.Validate(); err != nil {
		return nil, err
	}
	if cfg.GroupID == "" || len(cfg.Topics) == 0 {
		return nil, errors.New("bus: consumer needs a group and topics")
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 5000
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 50 * time.Millisecond
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:     cfg.Bus.Brokers,
		Dialer:      cfg.Bus.dialer(),
		GroupID:     cfg.GroupID,
		GroupTopics: cfg.Topics,
		StartOffset: kafka.FirstOffset,
		MinBytes:    1,
		// A fetch answers at most this much per partition. Each partition of each
		// group has a fetch of its own, and when a group is behind every answer is
		// full: the embedded broker builds an answer whole, keeps it until the
		// reader has taken it off the socket (which it does only as fast as the
		// stage consumes), and keeps each connection's write buffer at its largest
		// answer. At 10 MiB, a sink backlog on one topic's 6 partitions held
		// 6 × 3 groups × 10–20 MiB in the broker alone; one batch per fetch is
		// enough to keep a stage busy, since it takes 5000 messages at most.
		// Building an answer also runs in the broker's single loop, where every
		// other group's fetch and every acknowledgement waits for it.
		MaxBytes:               maxBatchBytes,
		MaxWait:                5 * time.Second, // idle long-poll; data returns at once (MinBytes 1)
		QueueCapacity:          cfg.MaxBatch,
		CommitInterval:         0, // synchronous commits, only after the write
		HeartbeatInterval:      time.Second,
		SessionTimeout:         10 * time.Second,
		RebalanceTimeout:       10 * time.Second,
		JoinGroupBackoff:       time.Second,
		ReadBackoffMin:         50 * time.Millisecond,
		ReadBackoffMax:         time.Second,
		WatchPartitionChanges:  true,
		PartitionWatchInterval: 5 * time.Second,
		ErrorLogger:            kafkaLogger(slog.LevelWarn),
		Logger:                 debugLogger(),
	})
	return &Consumer{r: r, cfg: cfg}, nil
}

// FetchBatch blocks until at least one message is there (or ctx ends), then gathers
// more for up to MaxWait or MaxBatch messages.
func (c *Consumer) FetchBatch(ctx context.Context) ([]Message, error) {
	first, err := c.r.FetchMessage(ctx)
	if err != nil {
		return nil, err
	}
	batch := []Message{fromKafka(first)}
	wctx, cancel := context.WithTimeout(ctx, c.cfg.MaxWait)
	defer cancel()
	var idle *time.Timer
	if c.cfg.Idle > 0 {
		// One timer, re-armed at each message, ends the gather when it fires (a
		// message that came just as it fired waits for the next batch).
		wctx, cancel = context.WithCancel(wctx)
		defer cancel()
		idle = time.AfterFunc(c.cfg.Idle, cancel)
		defer idle.Stop()
	}
	for len(batch) < c.cfg.MaxBatch {
		m, err := c.r.FetchMessage(wctx)
		if err != nil {
			break // the wait ran out (or ctx ended): hand over what we have
		}
		batch = append(batch, fromKafka(m))
		if idle != nil {
			idle.Reset(c.cfg.Idle)
		}
	}
	return batch, nil
}

// Commit commits the offsets of msgs (only their topic, partition and offset count).
func (c *Consumer) Commit(ctx context.Context, msgs []Message) error {
	km := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		km[i] = kafka.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}
	}
	return c.r.CommitMessages(ctx, km...)
}

// Lag is the reader's last known lag (messages behind the end of its partitions).
func (c *Consumer) Lag() int64 { return c.r.Stats().Lag }

// Close leaves the group.
func (c *Consumer) Close() error { return c.r.Close() }

// kafkaLogger sends kafka-go's complaints to slog, minus the "Request Timed Out" that
// every idle long-poll produces against kfake.
func kafkaLogger(level slog.Level) kafka.LoggerFunc {
	return func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if strings.Contains(msg, "Request Timed Out") || strings.Contains(msg, "context canceled") {
			return
		}
		slog.Log(context.Background(), level, "kafka: "+msg)
	}
}

// HostPort formats a loopback address.
func HostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// debugLogger passes kafka-go's chatter (group joins, assignments, offsets) to slog at
// debug level when CHEMGUARD_KAFKA_DEBUG is set, for diagnosing a consumer that does
// not make progress.
func debugLogger() kafka.Logger {
	if os.Getenv("CHEMGUARD_KAFKA_DEBUG") == "" {
		return nil
	}
	return kafka.LoggerFunc(func(format string, args ...any) {
		slog.Info("kafka: " + fmt.Sprintf(format, args...))
	})
}
