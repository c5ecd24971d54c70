package main_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/simulate"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

// manifestTimes reads the step times deploy/backup.sh wrote in MANIFEST.
func manifestTimes(tb testing.TB, path string) map[string]time.Time {
	f, err := os.Open(path)
	require.NoError(tb, err)
	defer f.Close()
	out := map[string]time.Time{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		step, at, ok := strings.Cut(sc.Text(), " ")
		require.True(tb, ok, sc.Text())
		out[step], err = time.Parse(time.RFC3339Nano, at)
		require.NoError(tb, err, sc.Text())
	}
	return out
}

// waitCaughtUp waits until every consumer group has consumed its topics to the end.
func waitCaughtUp(tb testing.TB, brokerAddr string, d time.Duration) {
	tb.Helper()
	cfg := bus.Config{Brokers: []string{brokerAddr}, Partitions: 6}
	topics := map[string][]string{ingest.SinkGroup: events.Topics(), warningsvc.Group: warningsvc.Topics()}
	for _, g := range platform.ConsumerGroups() {
		tp := topics[g]
		if tp == nil {
			tp = events.Topics()
		}
		deadline := time.Now().Add(d)
		for {
			lag, err := bus.GroupLag(context.Background(), cfg, g, tp)
			if err == nil && lag == 0 {
				break
			}
			require.True(tb, time.Now().Before(deadline), "%s did not catch up: lag %d, %v", g, lag, err)
			time.Sleep(250 * time.Millisecond)
		}
	}
}

// The backup and restore drill, with deploy/backup.sh as an operator runs it:
// companies upload throughout; the backup runs online; more is uploaded after it;
// then the machine is lost (the broker and the node SIGKILLed). Restored into a
// fresh database and an empty broker directory and started again, the platform
// holds every record acknowledged before the broker's copy began (the ones the dump
// lacked are delivered again from the broker's log and stored once), no message
// twice, none of the records acknowledged after the backup finished (lost since the
// backup: the companies must send them again), and every consumer resumes to the end
// of every partition.
func TestBackupRestoreDrill(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	script, err := filepath.Abs("../../deploy/backup.sh")
	require.NoError(t, err)

	dsn := pgtest.NewMigratedDatabase(t)
	brokerAddr, brokerData := freeAddr(t), t.TempDir()
	broker := startBroker(t, bin, brokerAddr, brokerData)
	addr, nodeData := freeAddr(t), t.TempDir()
	env := nodeEnv(dsn, brokerAddr, addr, nodeData)
	companies := simulate.Companies(6, 15)
	keys := addCompanies(t, bin, env, companies)
	node := startServe(t, bin, env, addr)

	u := &uploader{nodes: []string{"http://" + addr}, keys: keys, posts: map[string]int{}, sent: map[string]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() { defer wg.Done(); u.run(stop, uint64(100+w), companies, w) }()
	}
	time.Sleep(4 * time.Second)

	backupDir := filepath.Join(t.TempDir(), "backup")
	backup := exec.Command(script, "backup", backupDir)
	backup.Env = append(env, "CHEMGUARD_BIN="+bin, "CHEMGUARD_BROKER_DATA="+filepath.Join(brokerData, "kafka"),
		"CHEMGUARD_NODE_DATA="+nodeData)
	out, err := backup.CombinedOutput()
	require.NoError(t, err, string(out))
	time.Sleep(3 * time.Second) // uploads after the backup: these are lost with the machine
	close(stop)
	wg.Wait()
	// The machine is lost.
	require.NoError(t, node.Process.Signal(syscall.SIGKILL))
	_ = node.Wait()
	require.NoError(t, broker.Process.Signal(syscall.SIGKILL))
	_ = broker.Wait()

	dsn2 := pgtest.NewDatabase(t)
	brokerAddr2, brokerData2, nodeData2 := freeAddr(t), t.TempDir(), t.TempDir()
	restore := exec.Command(script, "restore", backupDir)
	restore.Env = append(os.Environ(), "CHEMGUARD_BIN="+bin, "CHEMGUARD_DATABASE_URL="+dsn2,
		"CHEMGUARD_BROKER_DATA="+filepath.Join(brokerData2, "kafka"), "CHEMGUARD_BROKER_ADDR="+brokerAddr2,
		"CHEMGUARD_NODE_DATA="+nodeData2, "CHEMGUARD_KAFKA_PARTITIONS=6")
	out, err = restore.CombinedOutput()
	require.NoError(t, err, string(out))
	t.Logf("restore:\n%s", out)
	startBroker(t, bin, brokerAddr2, brokerData2)
	addr2 := freeAddr(t)
	node2 := startServe(t, bin, nodeEnv(dsn2, brokerAddr2, addr2, nodeData2), addr2)
	defer stopProcess(node2)
	waitCaughtUp(t, brokerAddr2, 90*time.Second)

	times := manifestTimes(t, filepath.Join(backupDir, "MANIFEST"))
	u.mu.Lock()
	var covered, during, after []string // acknowledged before the broker copy; while it ran; after the backup
	for i, id := range u.ids {
		switch at := u.acked[i]; {
		case at.Before(times["broker_copy_started"]):
			covered = append(covered, id)
		case at.After(times["backup_done"]):
			after = append(after, id)
		default:
			during = append(during, id)
		}
	}
	u.mu.Unlock()
	require.NotEmpty(t, covered)
	require.NotEmpty(t, after, "uploads went on after the backup")

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn2)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `ANALYZE x_check_records`)
	require.NoError(t, err)
	present := func(ids []string) int {
		var n int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM unnest($1::text[]) AS id
			WHERE EXISTS (SELECT 1 FROM x_check_records c WHERE c.record_key = id)`, ids).Scan(&n))
		return n
	}
	var inDump int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM x_check_records WHERE received_at < $1`,
		times["database_started"]).Scan(&inDump))
	assert.Equal(t, len(covered), present(covered), "every record acknowledged before the broker copy began is restored")
	assert.Zero(t, present(after), "records acknowledged after the backup are lost since it (sent again by the companies)")
	history, records := storedOnce(t, conn)
	assert.Equal(t, records, history, "each record sent once, stored once")
	t.Logf("acknowledged: %d before the broker copy (all restored), %d while it ran (%d restored), %d after the backup (none restored); %d stored before the dump began",
		len(covered), len(during), present(during), len(after), inDump)
}
