package main_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
)

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startBroker runs `chemguard broker` on addr with its log in dataDir and waits for
// its ready line. It is stopped with SIGTERM at the test's end.
func startBroker(tb testing.TB, bin, addr, dataDir string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(bin, "broker")
	cmd.Env = append(os.Environ(), "CHEMGUARD_BROKER_ADDR="+addr, "CHEMGUARD_DATA_DIR="+dataDir,
		"CHEMGUARD_KAFKA_PARTITIONS=6", "CHEMGUARD_DATABASE_URL=", "CHEMGUARD_KAFKA_BROKERS=")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(tb, cmd.Start())
	tb.Cleanup(func() { stopProcess(cmd) })
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "chemguard broker ready on "+addr) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			tb.Fatalf("broker did not become ready:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cmd
}

// stopProcess ends a process the way a supervisor does (SIGTERM), once.
func stopProcess(cmd *exec.Cmd) {
	if cmd.ProcessState == nil {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
}

// nodeEnv is the environment of one serve node: the shared database and broker,
// keys given to both (a node that minted its own data key could not open the
// signing secrets the other sealed), its own HTTP address and data directory.
func nodeEnv(dsn, broker, addr, dataDir string) []string {
	return append(os.Environ(), "CHEMGUARD_DATABASE_URL="+dsn, "CHEMGUARD_KAFKA_BROKERS="+broker,
		"CHEMGUARD_KAFKA_PARTITIONS=6", "CHEMGUARD_HTTP_ADDR="+addr, "CHEMGUARD_DATA_DIR="+dataDir,
		"CHEMGUARD_AUDIT_KEY="+strings.Repeat("1a", 32), "CHEMGUARD_DATA_KEY="+strings.Repeat("2b", 32))
}

// storedOnce checks the check records' tables: no message twice in the history (its
// dedup is by message ID) and each record once in the current state. It returns the
// history's versions and records.
func storedOnce(tb testing.TB, conn *pgx.Conn) (history, records int) {
	tb.Helper()
	ctx := context.Background()
	var messages, current int
	require.NoError(tb, conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT msg_id), count(DISTINCT record_key)
		FROM x_check_records_history`).Scan(&history, &messages, &records))
	require.NoError(tb, conn.QueryRow(ctx, `SELECT count(*) FROM x_check_records`).Scan(&current))
	assert.Equal(tb, messages, history, "no message stored twice in history")
	assert.Equal(tb, records, current, "each record once in the current state")
	return history, records
}

// addCompanies registers companies with the binary and returns their API keys.
func addCompanies(tb testing.TB, bin string, env []string, companies []simulate.Company) map[string]string {
	tb.Helper()
	keys := map[string]string{}
	for _, c := range companies {
		add := exec.Command(bin, "enterprise", "add", "--code", c.Code, "--name", c.Name, "--region", c.County)
		add.Env = env
		out, err := add.Output()
		require.NoError(tb, err)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		keys[c.Code] = lines[len(lines)-1]
		require.True(tb, strings.HasPrefix(keys[c.Code], "cgk_"), "the key is alone on the last line: %q", out)
	}
	return keys
}

// uploader posts check records (remembering each ID answered "accepted") and sensor
// readings for its companies, to the first node that answers: a load balancer's
// failover, so the load goes on through the survivor after a node dies.
type uploader struct {
	nodes []string
	keys  map[string]string // company code → API key
	mu    sync.Mutex
	ids   []string
	acked []time.Time    // when each of ids was answered
	sent  map[string]int // record ID → times sent (a batch whose node died is sent again to the next)
	posts map[string]int // node → batches accepted there
}

func (u *uploader) run(stop <-chan struct{}, seed uint64, companies []simulate.Company, first int) {
	r := rand.New(rand.NewPCG(seed, 1))
	client := &http.Client{Timeout: 10 * time.Second}
	for n := first; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		c := companies[r.IntN(len(companies))]
		now := time.Now()
		checks := make([]simulate.Record, 50)
		ids := make([]string, len(checks))
		for i := range checks {
			checks[i] = simulate.NewRecord(r, schemas.CheckRecords, c, now)
			ids[i] = checks[i]["ID"].(string)
		}
		readings := make([]simulate.Record, 50)
		for i := range readings {
			readings[i] = simulate.NewRecord(r, schemas.SensorReadings, c, now)
		}
		for try := 0; try < len(u.nodes); try++ {
			node := u.nodes[(n+try)%len(u.nodes)]
			u.mu.Lock()
			for _, id := range ids {
				u.sent[id]++
			}
			u.mu.Unlock()
			accepted, _, err := simulate.Post(context.Background(), client, node, u.keys[c.Code], "check-records", checks)
			if err != nil {
				continue // this node is gone: the next one
			}
			_, _, _ = simulate.Post(context.Background(), client, node, u.keys[c.Code], "sensor-readings", readings)
			if accepted == len(ids) {
				u.mu.Lock()
				u.ids = append(u.ids, ids...)
				at := time.Now()
				for range ids {
					u.acked = append(u.acked, at)
				}
				u.posts[node]++
				u.mu.Unlock()
			}
			break
		}
	}
}

func (u *uploader) accepted() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.ids...)
}

// Two serve processes share one `chemguard broker`, as two nodes share a Kafka
// cluster: each consumer group splits the partitions between them. Under load
// through both nodes' exchange API, one node is killed with SIGKILL; the other
// takes its partitions (the group rebalances once the dead member's session ends),
// every record answered "accepted" is stored exactly once, the warning and
// governance consumers catch up to the end of every partition, and the engines'
// tickers have a leader again.
func TestTwoNodesOneKilled(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dsn := pgtest.NewMigratedDatabase(t)
	brokerAddr := freeAddr(t)
	startBroker(t, bin, brokerAddr, t.TempDir())
	addrA, addrB := freeAddr(t), freeAddr(t)
	envA, envB := nodeEnv(dsn, brokerAddr, addrA, t.TempDir()), nodeEnv(dsn, brokerAddr, addrB, t.TempDir())

	companies := simulate.Companies(12, 14)
	keys := addCompanies(t, bin, envA, companies)
	nodeA := startServe(t, bin, envA, addrA)
	nodeB := startServe(t, bin, envB, addrB)
	defer stopProcess(nodeB)

	busCfg := bus.Config{Brokers: []string{brokerAddr}, Partitions: 6}
	ctx := context.Background()
	eventually := func(d time.Duration, what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !ok() {
			require.True(t, time.Now().Before(deadline), "timed out: %s", what)
			time.Sleep(250 * time.Millisecond)
		}
	}
	// Both nodes consume: every group has two members, each with partitions.
	for _, g := range platform.ConsumerGroups() {
		eventually(60*time.Second, g+" split between the two nodes", func() bool {
			members, err := bus.DescribeGroup(ctx, busCfg, g)
			if err != nil || len(members) != 2 {
				return false
			}
			for _, m := range members {
				if len(m.Partitions) == 0 {
					return false
				}
			}
			return true
		})
	}

	u := &uploader{nodes: []string{"http://" + addrA, "http://" + addrB}, keys: keys, posts: map[string]int{}, sent: map[string]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() { defer wg.Done(); u.run(stop, uint64(w), companies, w) }()
	}
	time.Sleep(5 * time.Second)
	killedAt := time.Now()
	require.NoError(t, nodeA.Process.Signal(syscall.SIGKILL))
	_ = nodeA.Wait()
	before := len(u.accepted())
	require.Positive(t, before, "records were accepted before the kill")
	time.Sleep(15 * time.Second) // past the dead member's session timeout (10 s): B holds every partition
	close(stop)
	wg.Wait()
	ids := u.accepted()
	require.Greater(t, len(ids), before, "the survivor kept accepting after the kill")
	u.mu.Lock()
	t.Logf("batches accepted per node: %v; records accepted: %d before the kill, %d in all", u.posts, before, len(ids))
	require.Positive(t, u.posts["http://"+addrA], "node A took load before it died")
	u.mu.Unlock()

	for _, g := range platform.ConsumerGroups() {
		eventually(60*time.Second, g+" held by the survivor alone", func() bool {
			members, err := bus.DescribeGroup(ctx, busCfg, g)
			return err == nil && len(members) == 1
		})
	}
	waitCaughtUp(t, brokerAddr, 90*time.Second)

	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `ANALYZE x_check_records`)
	require.NoError(t, err)
	var missing int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM unnest($1::text[]) AS id
		WHERE NOT EXISTS (SELECT 1 FROM x_check_records c WHERE c.record_key = id)`, ids).Scan(&missing))
	require.Zero(t, missing, "%d of %d acknowledged records missing", missing, len(ids))
	// A batch in flight when A died may be in Kafka without its reply having reached
	// the client, which then sent it again through B: two uploads, two versions. What
	// must never happen is a message stored twice (the history's dedup is by message
	// ID) or a record with more versions than it was sent.
	history, keysStored := storedOnce(t, conn)
	u.mu.Lock()
	sentIDs, sentTimes := make([]string, 0, len(u.sent)), make([]int32, 0, len(u.sent))
	for id, n := range u.sent {
		sentIDs, sentTimes = append(sentIDs, id), append(sentTimes, int32(n))
	}
	u.mu.Unlock()
	var overstored int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT record_key, count(*) AS versions
		FROM x_check_records_history GROUP BY record_key) h
		JOIN unnest($1::text[], $2::int[]) AS s(id, times) ON s.id = h.record_key
		WHERE h.versions > s.times`, sentIDs, sentTimes).Scan(&overstored))
	assert.Zero(t, overstored, "records with more versions stored than uploads sent")
	t.Logf("history %d versions of %d records; %d records sent twice", history, keysStored, history-keysStored)
	// The governance consumer counted the uploads it applied; the warning consumer
	// applied readings after the kill (its intake clock moved past it).
	var govRecords int64
	require.NoError(t, conn.QueryRow(ctx, `SELECT coalesce(sum(next_offset), 0) FROM governance_offsets`).Scan(&govRecords))
	assert.Positive(t, govRecords)
	var intake time.Time
	require.NoError(t, conn.QueryRow(ctx, `SELECT received_at FROM warning_intake`).Scan(&intake))
	assert.True(t, intake.After(killedAt), "the warning consumer applied readings received after the kill (intake %s, kill %s)",
		intake.Format(time.RFC3339Nano), killedAt.Format(time.RFC3339Nano))
	// The tickers' advisory locks (warnings 0x63670005, governance 0x63670006) are
	// held again, by the survivor: the dead node's sessions ended with it.
	eventually(30*time.Second, "a ticker leader for warnings and governance", func() bool {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(DISTINCT objid) FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND objid IN ($1, $2)`, 0x63670005, 0x63670006).Scan(&n)
		return err == nil && n == 2
	})
}
