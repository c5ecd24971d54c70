package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Leader holds, or tries to hold, a PostgreSQL session advisory lock on a session of
// its own, so that one process at a time does a periodic job (the warning engine's
// and the governance trackers' ticks): if the holder dies its session ends, the lock
// is free and the next process to try takes over. It is not safe for concurrent use.
type Leader struct {
	pool *pgxpool.Pool
	lock int64
	conn *pgx.Conn
	held bool
}

// NewLeader returns a Leader for the advisory lock key lock on pool's database.
func NewLeader(pool *pgxpool.Pool, lock int64) *Leader { return &Leader{pool: pool, lock: lock} }

// TryLead tries to take the lock (opening a new session when there is none or it
// broke) and reports whether this session holds it. Asked at every round, it also
// checks the session still holds the lock (session advisory locks stack, and all go
// when the session ends).
func (l *Leader) TryLead(ctx context.Context) (bool, error) {
	if l.conn == nil || l.conn.IsClosed() {
		conn, err := pgx.ConnectConfig(ctx, l.pool.Config().ConnConfig)
		if err != nil {
			return false, err
		}
		l.conn, l.held = conn, false
	}
	if err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, l.lock).Scan(&l.held); err != nil {
		l.conn.Close(context.WithoutCancel(ctx))
		l.conn, l.held = nil, false
		return false, err
	}
	return l.held, nil
}

// Release unlocks and closes the session. It is safe to call on a Leader that never
// led.
func (l *Leader) Release() {
	if l == nil || l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if l.held {
		// Unlock before closing: closing alone frees the lock only once the server
		// has noticed the session end, so another process could find it still held.
		_, _ = l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, l.lock)
	}
	l.conn.Close(ctx) // ends the session, and its lock if the unlock failed
	l.conn, l.held = nil, false
}

// Lead runs round every interval while this process holds the advisory lock lock,
// trying to take it at every interval, until ctx ends; then it releases the lock.
// A failure to ask for the lock is logged under name and asked again next time.
func Lead(ctx context.Context, pool *pgxpool.Pool, lock int64, every time.Duration, name string, round func(context.Context)) {
	t := time.NewTicker(every)
	defer t.Stop()
	lead := NewLeader(pool, lock)
	defer lead.Release()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		held, err := lead.TryLead(ctx)
		if err != nil {
			if ctx.Err() == nil {
				slog.Warn(name+": tick lock", "err", err)
			}
			continue
		}
		if held {
			round(ctx)
		}
	}
}
