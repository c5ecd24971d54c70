package audit_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/store"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// newLog migrates a fresh database and returns the owner's pool (the attacker
// with database rights in these tests), its URL and a log on it.
func newLog(tb testing.TB, cfg audit.Config) (*pgxpool.Pool, string, *audit.Log) {
	tb.Helper()
	dsn := pgtest.NewDatabase(tb)
	pool := pgtest.Migrated(tb, dsn)
	if cfg.Key == nil {
		cfg.Key = testKey
	}
	log, err := audit.New(pool, cfg)
	require.NoError(tb, err)
	return pool, dsn, log
}

func record(tb testing.TB, log *audit.Log, n int) {
	tb.Helper()
	for i := 0; i < n; i++ {
		require.NoError(tb, log.Record(context.Background(), audit.Event{Actor: fmt.Sprintf("user%d", i), ClientIP: "10.0.0.1",
			Action: audit.ActionLogin, Result: audit.ResultOK, Detail: map[string]int{"i": i}}))
	}
}

// asOwner runs sql with the audit log's triggers disabled, as someone holding
// the database (not the application's role) would.
func asOwner(tb testing.TB, pool *pgxpool.Pool, sql string, args ...any) {
	tb.Helper()
	ctx := context.Background()
	_, err := pool.Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER USER`)
	require.NoError(tb, err)
	_, err = pool.Exec(ctx, sql, args...)
	require.NoError(tb, err)
	_, err = pool.Exec(ctx, `ALTER TABLE audit_log ENABLE TRIGGER USER`)
	require.NoError(tb, err)
}

func TestNewNeedsAKey(t *testing.T) {
	_, err := audit.New(nil, audit.Config{})
	assert.ErrorIs(t, err, audit.ErrKey)
	_, err = audit.New(nil, audit.Config{Key: []byte("short")})
	assert.ErrorIs(t, err, audit.ErrKey)
}

// Concurrent appends from many goroutines still form one gap-free chain.
func TestConcurrentAppendsKeepTheChain(t *testing.T) {
	ctx := context.Background()
	_, _, log := newLog(t, audit.Config{})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				assert.NoError(t, log.Record(ctx, audit.Event{Actor: fmt.Sprintf("user%d", g), ClientIP: "10.0.0.1",
					Action: audit.ActionLogin, Result: audit.ResultOK, Detail: map[string]int{"i": i}}))
			}
		}()
	}
	wg.Wait()
	v, err := log.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, v.OK(), "%+v", v)
	assert.Equal(t, int64(200), v.Rows)
	assert.Zero(t, v.LegacyRows)

	recs, err := log.List(ctx, audit.Filter{Actor: "user3", Limit: 1000})
	require.NoError(t, err)
	assert.Len(t, recs, 25)
	assert.Equal(t, `{"i":0}`, recs[0].Detail)
	assert.Equal(t, audit.ChainKeyed, recs[0].ChainVersion)
}

func TestHashCoversEveryField(t *testing.T) {
	base := audit.Record{Seq: 7, At: time.Date(2026, 11, 28, 8, 0, 0, 123000, time.UTC), Actor: "a", ActorRole: "r",
		ClientIP: "ip", Action: "login", Object: "o", Result: "ok", Detail: "{}", ChainVersion: audit.ChainKeyed}
	prev := make([]byte, 32)
	h := audit.Hash(testKey, prev, base)
	variants := []func(r *audit.Record){
		func(r *audit.Record) { r.Seq++ },
		func(r *audit.Record) { r.At = r.At.Add(time.Microsecond) },
		func(r *audit.Record) { r.Actor = "b" },
		func(r *audit.Record) { r.ActorRole = "" },
		func(r *audit.Record) { r.ClientIP = "ip2" },
		func(r *audit.Record) { r.Action = "logout" },
		func(r *audit.Record) { r.Object = "" },
		func(r *audit.Record) { r.Result = "failed" },
		func(r *audit.Record) { r.Detail = "" },
		func(r *audit.Record) { r.Actor, r.ActorRole = "ar", "" }, // moving characters between fields
		func(r *audit.Record) { r.ChainVersion = audit.ChainUnkeyed },
	}
	for i, change := range variants {
		r := base
		change(&r)
		assert.NotEqual(t, h, audit.Hash(testKey, prev, r), "variant %d", i)
	}
	assert.NotEqual(t, h, audit.Hash(testKey, append([]byte{1}, prev[1:]...), base), "previous hash")
	assert.NotEqual(t, h, audit.Hash([]byte("another key, same length, 32 by"), prev, base), "key")
}

// The attack on the unkeyed chain: with the triggers disabled, delete rows and
// recompute every later hash. Without the audit key the rewritten chain does
// not verify, whether recomputed the old way (plain SHA-256, posing as rows
// from before the key) or with a guessed key.
func TestRewrittenChainWithoutTheKeyFailsVerify(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		version int
		key     []byte
	}{
		{"recomputed unkeyed", audit.ChainUnkeyed, nil},
		{"recomputed with a guessed key", audit.ChainKeyed, []byte("guessed-guessed-guessed-guessed!")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool, _, log := newLog(t, audit.Config{})
			record(t, log, 10)
			// Delete rows 4–5, renumber the rest and recompute every hash from row 4 on.
			asOwner(t, pool, `DELETE FROM audit_log WHERE seq IN (4, 5)`)
			asOwner(t, pool, `UPDATE audit_log SET seq = seq - 2 WHERE seq > 5`)
			recs, err := log.List(ctx, audit.Filter{Limit: 100})
			require.NoError(t, err)
			prev := recs[2].Hash
			for _, r := range recs[3:] {
				r.ChainVersion, r.PrevHash = tc.version, prev
				r.Hash = audit.Hash(tc.key, prev, r)
				asOwner(t, pool, `UPDATE audit_log SET prev_hash = $2, hash = $3, chain_version = $4 WHERE seq = $1`,
					r.Seq, r.PrevHash, r.Hash, r.ChainVersion)
				prev = r.Hash
			}
			v, err := log.Verify(ctx)
			require.NoError(t, err)
			assert.False(t, v.OK(), "a chain rewritten without the key verified: %+v", v)
			assert.Equal(t, int64(4), v.BadSeq)
		})
	}
}

// Rows written before the key existed (chain version 1) still verify, and keyed
// rows continue after them; an unkeyed row may not follow a keyed one.
func TestUnkeyedRowsBeforeTheCutOverVerify(t *testing.T) {
	ctx := context.Background()
	pool, _, log := newLog(t, audit.Config{})
	prev := make([]byte, sha256.Size)
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for seq := int64(1); seq <= 3; seq++ {
		r := audit.Record{Seq: seq, At: at, Actor: "old", Action: audit.ActionLogin, Result: audit.ResultOK,
			ChainVersion: audit.ChainUnkeyed, PrevHash: prev}
		r.Hash = audit.Hash(nil, prev, r)
		_, err := pool.Exec(ctx, `INSERT INTO audit_log (seq, at, actor, action, result, chain_version, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, 1, $6, $7)`, r.Seq, r.At, r.Actor, r.Action, r.Result, r.PrevHash, r.Hash)
		require.NoError(t, err)
		prev = r.Hash
	}
	record(t, log, 3)
	v, err := log.Verify(ctx)
	require.NoError(t, err)
	require.True(t, v.OK(), "%+v", v)
	assert.Equal(t, int64(6), v.Rows)
	assert.Equal(t, int64(3), v.LegacyRows)

	// A forged unkeyed row appended after the keyed ones is refused.
	r := audit.Record{Seq: 7, At: at, Actor: "forger", Action: audit.ActionLogin, Result: audit.ResultOK,
		ChainVersion: audit.ChainUnkeyed, PrevHash: v.LastHash}
	r.Hash = audit.Hash(nil, r.PrevHash, r)
	_, err = pool.Exec(ctx, `INSERT INTO audit_log (seq, at, actor, action, result, chain_version, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, 1, $6, $7)`, r.Seq, r.At, r.Actor, r.Action, r.Result, r.PrevHash, r.Hash)
	require.NoError(t, err)
	v, err = log.Verify(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(7), v.BadSeq)
	assert.Equal(t, "unkeyed row after the chain was keyed", v.Problem)
}

// Cutting rows off the end leaves a chain that verifies by itself; the
// checkpoint kept outside the database catches it.
func TestTruncatedTailFailsAgainstTheCheckpoint(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "audit", "checkpoints.jsonl")
	pool, _, log := newLog(t, audit.Config{CheckpointFile: file})
	record(t, log, 10)
	cp, err := log.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(10), cp.Seq)
	record(t, log, 2) // rows after the last checkpoint
	v, err := log.Verify(ctx)
	require.NoError(t, err)
	require.True(t, v.OK(), "%+v", v)
	assert.Equal(t, 1, v.Checkpoints)

	asOwner(t, pool, `DELETE FROM audit_log WHERE seq > 7`)
	v, err = log.Verify(ctx)
	require.NoError(t, err)
	assert.False(t, v.OK(), "a cut tail verified: %+v", v)
	assert.Equal(t, int64(8), v.BadSeq)
	assert.Contains(t, v.Problem, "tail cut")
	// The checkpointer refuses to endorse the shorter log.
	_, err = log.Checkpoint(ctx)
	assert.ErrorContains(t, err, "rows were removed")
}

// A checkpoint line cannot be edited or forged without the audit key.
func TestEditedCheckpointFileIsRefused(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	_, _, log := newLog(t, audit.Config{CheckpointFile: file})
	record(t, log, 5)
	_, err := log.Checkpoint(ctx)
	require.NoError(t, err)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(string(b), `"seq":5`, `"seq":3`, 1)), 0o600))
	v, err := log.Verify(ctx)
	require.NoError(t, err)
	assert.False(t, v.OK())
	assert.Contains(t, v.Problem, "bad signature")
}

// The checkpointer writes when CheckpointRows rows were appended, and logs it.
func TestCheckpointAfterRows(t *testing.T) {
	file := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	_, _, log := newLog(t, audit.Config{CheckpointFile: file, CheckpointRows: 5, CheckpointEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { log.RunCheckpoints(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	record(t, log, 5)
	require.Eventually(t, func() bool {
		v, err := log.Verify(context.Background())
		return err == nil && v.OK() && v.LastCheckpoint.Seq == 5
	}, 10*time.Second, 20*time.Millisecond, "no checkpoint after CheckpointRows rows")
}

// The application's role may append and read the log, nothing else: no update,
// delete or truncate, no disabling or dropping its triggers.
func TestAppRoleCannotRewriteTheLog(t *testing.T) {
	ctx := context.Background()
	_, dsn, _ := newLog(t, audit.Config{})
	app, err := store.OpenAs(ctx, dsn, store.AppRole)
	require.NoError(t, err)
	defer app.Close()
	log, err := audit.New(app, audit.Config{Key: testKey})
	require.NoError(t, err)
	record(t, log, 3)
	recs, err := log.List(ctx, audit.Filter{})
	require.NoError(t, err)
	require.Len(t, recs, 3)
	var role string
	require.NoError(t, app.QueryRow(ctx, `SELECT current_user`).Scan(&role))
	require.Equal(t, store.AppRole, role)
	for _, sql := range []string{
		`UPDATE audit_log SET actor = 'x'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`,
		`ALTER TABLE audit_log DISABLE TRIGGER ALL`,
		`DROP TRIGGER audit_log_no_update ON audit_log`,
		`ALTER TABLE audit_log RENAME TO audit_log_old`,
		`DROP TABLE audit_log`,
		`CREATE OR REPLACE FUNCTION chemguard_audit_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
		`SET session_replication_role = replica`,
	} {
		_, err := app.Exec(ctx, sql)
		assert.Error(t, err, sql)
	}
	v, err := log.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, v.OK(), "%+v", v)
	assert.Equal(t, int64(3), v.Rows)
}
