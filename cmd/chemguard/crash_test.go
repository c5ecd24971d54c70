package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/freeport"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/simulate"
)

// built is the chemguard binary of this test process, built once: linking it
// costs seconds of CPU, and the tests that run it as a process (crash, backup,
// two nodes, bench) only read it.
var built struct {
	once sync.Once
	bin  string
	out  []byte
	err  error
}

// buildBinary builds the chemguard binary the first time a test asks, into the
// directory TestMain removes at the end (CHEMGUARD_CMD_TEST_DIR), and returns its
// path.
func buildBinary(tb testing.TB) string {
	tb.Helper()
	built.once.Do(func() {
		dir := os.Getenv("CHEMGUARD_CMD_TEST_DIR")
		if dir == "" {
			dir, built.err = os.MkdirTemp("", "chemguard-cmd-bin-")
			if built.err != nil {
				return
			}
		}
		built.bin = filepath.Join(dir, "chemguard")
		built.out, built.err = exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput()
	})
	require.NoError(tb, built.err, string(built.out))
	return built.bin
}

// freeAddr is an address on loopback that nothing listens on now, for a process the
// test starts later (freeport: below the ephemeral range).
func freeAddr(tb testing.TB) string {
	addr, err := freeport.Addr()
	require.NoError(tb, err)
	return addr
}

func startServe(tb testing.TB, bin string, env []string, addr string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(tb, cmd.Start())
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Kill()
	tb.Fatalf("serve did not become ready:\n%s", logs.String())
	return nil
}

// The whole process is killed with SIGKILL while companies are uploading and
// started again: every record that was answered "accepted" is in the database.
func TestKilledProcessLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dsn := pgtest.NewMigratedDatabase(t)
	addr := freeAddr(t)
	env := append(os.Environ(), "CHEMGUARD_DATABASE_URL="+dsn, "CHEMGUARD_HTTP_ADDR="+addr,
		"CHEMGUARD_DATA_DIR="+t.TempDir(), "CHEMGUARD_KAFKA_PARTITIONS=3")

	add := exec.Command(bin, "enterprise", "add", "--code", "370402001", "--name", "枣庄测试化工有限公司", "--region", "370402")
	add.Env = env
	out, err := add.Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	key := lines[len(lines)-1]
	require.True(t, strings.HasPrefix(key, "cgk_"), "the key is alone on the last line: %q", out)

	serve := startServe(t, bin, env, addr)
	var mu sync.Mutex
	var accepted []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				recs := make([]simulate.Record, 100)
				ids := make([]string, len(recs))
				for i := range recs {
					ids[i] = simulate.NewID()
					recs[i] = simulate.Record{"ID": ids[i], "CHECK_TASK_ID": simulate.NewID(),
						"CHECK_TIME":   time.Now().Add(-time.Minute).In(schemas.Shanghai).Format(schemas.DateTimeLayout),
						"CHECK_STATUS": "0", "DELETED": "0"}
				}
				body, _ := json.Marshal(recs)
				req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/exchange/check-records", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := client.Do(req)
				if err != nil {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				var rep struct{ Accepted int }
				_ = json.NewDecoder(resp.Body).Decode(&rep)
				resp.Body.Close()
				if resp.StatusCode == 200 && rep.Accepted == len(ids) {
					mu.Lock()
					accepted = append(accepted, ids...)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	require.NoError(t, serve.Process.Signal(syscall.SIGKILL))
	_ = serve.Wait()
	mu.Lock()
	before := len(accepted)
	mu.Unlock()
	require.Positive(t, before, "records were accepted before the kill")

	serve = startServe(t, bin, env, addr)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	defer func() { serve.Process.Signal(syscall.SIGTERM); serve.Wait() }()

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var missing int
	deadline := time.Now().Add(90 * time.Second)
	for {
		// Fresh statistics: with the table's rows unknown to the planner, the anti-join
		// below ran as a nested loop over every pair and took minutes.
		_, err := conn.Exec(ctx, `ANALYZE x_check_records`)
		require.NoError(t, err)
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM unnest($1::text[]) AS id
			WHERE NOT EXISTS (SELECT 1 FROM x_check_records c WHERE c.record_key = id)`, accepted).Scan(&missing))
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Zero(t, missing, fmt.Sprintf("%d of %d acknowledged records missing after the restart", missing, len(accepted)))
	// Batches in flight at the kill may be in Kafka without their reply having reached
	// the client, so the table may hold more than was acknowledged — but never a
	// record twice.
	var history, distinct int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT record_key) FROM x_check_records_history`).Scan(&history, &distinct))
	require.Equal(t, distinct, history, "each record stored exactly once")
	require.GreaterOrEqual(t, history, len(accepted))
	t.Logf("%d acknowledged before the kill, %d in all", before, len(accepted))
}
