package platform_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/freeport"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/store"
)

// feeder posts batches of check records and remembers every ID the platform
// answered "accepted" for.
type feeder struct {
	url, key string
	now      func() time.Time // the platform's clock: records are stamped by it
	company  simulate.Company
	mu       sync.Mutex
	accepted []string
	statuses map[int]int
}

func newFeeder(app *running, key string, c simulate.Company) *feeder {
	return &feeder{url: app.URL(), now: app.now, key: key, company: c, statuses: map[int]int{}}
}

func (f *feeder) postOne(tb testing.TB, r interface{ IntN(int) int }, n int) int {
	recs := make([]simulate.Record, n)
	for i := range recs {
		recs[i] = simulate.Record{"ID": simulate.NewID(), "CHECK_TASK_ID": simulate.NewID(),
			"CHECK_TIME":   f.now().Add(-time.Minute).In(schemas.Shanghai).Format(schemas.DateTimeLayout),
			"CHECK_STATUS": fmt.Sprint(r.IntN(4)), "DELETED": "0"}
	}
	rep := post(tb, f.url, f.key, "check-records", recs)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses[rep.Status]++
	if rep.Status == http.StatusOK {
		for _, res := range rep.Body["results"].([]any) {
			m := res.(map[string]any)
			if m["status"] == "accepted" {
				f.accepted = append(f.accepted, m["id"].(string))
			}
		}
	}
	return rep.Status
}

func (f *feeder) acceptedIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.accepted...)
}

// missing returns how many accepted IDs are not in the current-state table.
func missing(tb testing.TB, app *platform.App, ids []string) int {
	tb.Helper()
	var n int
	// Fresh statistics, or the planner may run the anti-join as a nested loop.
	_, err := app.Pool.Exec(context.Background(), `ANALYZE x_check_records`)
	require.NoError(tb, err)
	require.NoError(tb, app.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM unnest($1::text[]) AS id WHERE NOT EXISTS
		 (SELECT 1 FROM x_check_records c WHERE c.record_key = id)`, ids).Scan(&n))
	return n
}

// freePort is a loopback port for the broker this file's tests stop and start again
// on the same port (freeport: below the ephemeral range, which a client connection
// could take while the broker is down).
func freePort(tb testing.TB) int {
	tb.Helper()
	port, err := freeport.Port()
	require.NoError(tb, err)
	return port
}

// The broker stops mid-stream: requests get 503 and nothing of those batches counts
// as accepted; after it comes back every record ever answered "accepted" is stored.
func TestBrokerStoppedMidStream(t *testing.T) {
	t.Parallel()
	dir, port := t.TempDir(), freePort(t)
	broker, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: dir, Port: port, Partitions: 6})
	require.NoError(t, err)
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), KafkaBrokers: []string{broker.Addr()},
		Ingest: ingest.Config{PublishTimeout: 3 * time.Second}})
	c := simulate.Company{Code: "370303001", County: "370303"}
	f := newFeeder(app, addCompany(t, app.App, c.Code, c.County), c)
	r := newRand(7)

	for i := 0; i < 10; i++ {
		require.Equal(t, 200, f.postOne(t, r, 50))
	}
	broker.Close()
	var unavailable int
	for i := 0; i < 5; i++ {
		if f.postOne(t, r, 50) == http.StatusServiceUnavailable {
			unavailable++
		}
	}
	assert.Positive(t, unavailable, "requests while the broker is down get 503")
	broker, err = bus.StartEmbedded(bus.EmbeddedConfig{Dir: dir, Port: port, Partitions: 6})
	require.NoError(t, err)
	defer broker.Close()
	defer app.stop() // the app stops before its broker, as in a real shutdown
	eventually(t, 30*time.Second, "posts succeed again", func() bool { return f.postOne(t, r, 50) == 200 })
	for i := 0; i < 10; i++ {
		f.postOne(t, r, 50)
	}
	ids := f.acceptedIDs()
	require.GreaterOrEqual(t, len(ids), 1000)
	eventually(t, 60*time.Second, "every accepted record stored", func() bool { return missing(t, app.App, ids) == 0 })
	t.Logf("statuses: %v, accepted %d", f.statuses, len(ids))
}

// killingWriter writes the first batch, then "dies" before the offsets are
// committed: it reports failure and cancels the sink, as a crash would.
type killingWriter struct {
	inner  *store.Exchange
	kill   context.CancelFunc
	killed atomic.Bool
}

func (w *killingWriter) Apply(ctx context.Context, v map[*schemas.Table][]store.Version, r []store.Rejection) error {
	if w.killed.Load() {
		return errors.New("dead")
	}
	if err := w.inner.Apply(ctx, v, r); err != nil {
		return err
	}
	w.killed.Store(true)
	w.kill()
	return errors.New("killed after the database write, before the offset commit")
}

// The sink dies between the database write and the offset commit: the batch is
// delivered again to the next sink and stored once.
func TestSinkKilledBeforeCommit(t *testing.T) {
	t.Parallel()
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), NoSink: true})
	c := simulate.Company{Code: "370304001", County: "370304"}
	f := newFeeder(app, addCompany(t, app.App, c.Code, c.County), c)
	r := newRand(8)
	for i := 0; i < 20; i++ {
		require.Equal(t, 200, f.postOne(t, r, 100))
	}
	ids := f.acceptedIDs()
	busCfg := bus.Config{Brokers: app.BrokerAddrs(), Partitions: platform.DefaultPartitions}

	consumer, err := ingest.NewSinkConsumer(busCfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	w := &killingWriter{inner: app.Exchange, kill: cancel}
	require.NoError(t, ingest.NewSink(consumer, w, nil).Run(ctx))
	require.True(t, w.killed.Load(), "the first sink wrote a batch and died")
	require.NoError(t, consumer.Close())
	written := count(t, app.App, `SELECT count(*) FROM x_check_records_history`)
	require.Positive(t, written)

	consumer2, err := ingest.NewSinkConsumer(busCfg)
	require.NoError(t, err)
	defer consumer2.Close()
	ctx2, cancel2 := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ingest.NewSink(consumer2, app.Exchange, nil).Run(ctx2) }()
	eventually(t, 60*time.Second, "every accepted record stored", func() bool { return missing(t, app.App, ids) == 0 })
	cancel2()
	require.NoError(t, <-done)
	assert.Equal(t, len(ids), count(t, app.App, `SELECT count(*) FROM x_check_records_history`), "no duplicate versions")
	assert.Equal(t, len(ids), count(t, app.App, `SELECT count(*) FROM x_check_records`), "no duplicate rows")
}

// proxy forwards TCP to target until cut; while cut it refuses connections and has
// dropped the open ones — PostgreSQL "down" for the platform alone.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func newProxy(tb testing.TB, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	p := &proxy{ln: ln, target: target}
	go p.serve()
	tb.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// The database goes away for a while: ingest keeps accepting into Kafka, the sink
// retries with backoff, and catches up once the database is back.
func TestDatabaseDownSinkCatchesUp(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewMigratedDatabase(t)
	u := mustURL(t, dsn)
	px := newProxy(t, u.Host)
	u.Host = px.ln.Addr().String()

	// Register the company directly, before the outage.
	app := startApp(t, platform.Config{DatabaseURL: u.String()})
	c := simulate.Company{Code: "370305001", County: "370305"}
	key := addCompany(t, app.App, c.Code, c.County)
	f := newFeeder(app, key, c)
	r := newRand(9)
	require.Equal(t, 200, f.postOne(t, r, 10)) // also warms the key cache

	px.cut()
	for i := 0; i < 10; i++ {
		require.Equal(t, 200, f.postOne(t, r, 100), "ingest does not need the database to accept")
	}
	time.Sleep(3 * time.Second) // the sink fails and backs off meanwhile
	m := get(t, app.URL(), "", "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, m.Status, "not ready while the database is down")
	px.restore()
	ids := f.acceptedIDs()
	eventually(t, 60*time.Second, "the sink caught up", func() bool { return missing(t, app.App, ids) == 0 })
	assert.Equal(t, len(ids), count(t, app.App, `SELECT count(*) FROM x_check_records_history`))
	metrics := get(t, app.URL(), "", "/metrics")
	assert.Regexp(t, `chemguard_sink_errors_total [1-9]`, string(metrics.Raw), "the failed writes were counted")
}

// A record the database refuses (here jsonb refusing \u0000, which validation now
// stops at the door) must neither block its partition nor vanish: the sink writes the
// rest of the batch and keeps the refused one as a "storage" rejection.
func TestSinkKeepsRecordsTheDatabaseRefuses(t *testing.T) {
	t.Parallel()
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t)})
	company := "370306001"
	producer, err := bus.NewProducer(bus.Config{Brokers: app.BrokerAddrs(), Partitions: platform.DefaultPartitions})
	require.NoError(t, err)
	defer producer.Close()
	envelope := func(id, record string) bus.Message {
		b, err := json.Marshal(events.Envelope{Head: events.Head{MsgID: uuid.New(), Table: "check-records", Company: company, Key: id,
			Version: time.Now().UnixNano(), ReceivedAt: app.now()}, Record: json.RawMessage(record)})
		require.NoError(t, err)
		return bus.Message{Topic: schemas.CheckRecords.Topic(), Key: company, Value: b}
	}
	good, bad := simulate.NewID(), simulate.NewID()
	require.NoError(t, producer.Publish(context.Background(), []bus.Message{
		envelope(bad, `{"ID":"`+bad+`","CHECK_STATUS":"0\u0000"}`),
		envelope(good, `{"ID":"`+good+`","CHECK_STATUS":"0"}`),
	}))
	eventually(t, 30*time.Second, "the good record stored and the refused one kept", func() bool {
		return count(t, app.App, `SELECT count(*) FROM x_check_records WHERE record_key = $1`, good) == 1 &&
			count(t, app.App, `SELECT count(*) FROM exchange_rejections WHERE record_key = $1 AND errors->0->>'rule' = 'storage'`, bad) == 1
	})
	// The partition is not blocked: later records still arrive.
	later := simulate.NewID()
	require.NoError(t, producer.Publish(context.Background(), []bus.Message{envelope(later, `{"ID":"`+later+`","CHECK_STATUS":"1"}`)}))
	eventually(t, 30*time.Second, "a later record", func() bool {
		return count(t, app.App, `SELECT count(*) FROM x_check_records WHERE record_key = $1`, later) == 1
	})
}
