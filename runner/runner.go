// Package runner owns the concurrency protocol every per-company engine runs under
// inside the platform (the warning engine, the governance trackers): one in-memory
// state per company, kept in a versioned row of a store.CompanyStates table. Whoever
// changes a company (a batch, a tick, an action) locks its row, reloads the copy
// when the stored version is not the one it holds (another process wrote it), and
// stores the state only when its hash changed (a state whose history grows keeps that
// part as items beside the row, written only when they change: Config.Items; the
// part that changes with nearly every record is written apart from the head, so the
// head is rewritten only when it changed itself: Config.Fresh; an engine that marks
// its head where it changes it spares the encoding of unmarked heads: Config.Head);
// when anything fails the copies
// involved are dropped, so the next transaction reloads what was stored. It also
// runs the consumer loop (a batch is stored before its offsets are committed), the
// ticker of the process that holds the engine's advisory lock, and the platform's
// intake clock. It is generic over the engine's state S.
package runner

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard/store"
)

// Config says how a runner keeps the state S of one engine.
type Config[S any] struct {
	// Name prefixes logs and errors ("alerting", "quality").
	Name string
	// States is the table the states are kept in.
	States store.CompanyStates
	// Load builds a company's state from what is stored (nil: a company with no row).
	Load func(code string, stored []byte) (S, error)
	// Marshal encodes a state for storing; its hash decides whether it changed.
	Marshal func(S) ([]byte, error)
	// StoreNew stores a company without a row at its first transaction even when its
	// new state is unchanged (governance registers the company in it); otherwise a
	// new company is stored only once its state changes.
	StoreNew bool
	// Now is the clock the states' updated_at is written with (time.Now when nil).
	Now func() time.Time
	// Items, when set, keeps the parts of a state that grow with a company's history
	// as items of their own, written only when they change: Marshal then encodes the
	// rest (the head), whose hash and the changed items together decide whether the
	// state changed, and Load is not used.
	Items *Items[S]
	// Fresh, when set, keeps the part of a state that changes with nearly every
	// record (per-point last-seen times and values, counters) beside the head, in
	// the row's fresh column: Marshal then encodes the rest, and a transaction that
	// changed only the fresh part writes that part alone — the head, large and
	// bounded by the company's base data, is neither re-sent nor re-parsed.
	Fresh *Fresh[S]
	// Outdated, when set, reports whether a state was loaded from a head in a
	// layout older than Marshal writes: its row is written whole at its next write,
	// even if nothing changed, so the older layout is not read (and converted) again
	// at every load.
	Outdated func(S) bool
	// Head, when set, tells which heads changed: a company whose head is not marked
	// changed is neither encoded nor hashed (Marshal runs only for marked heads,
	// new rows and rows to be written whole).
	Head *Head[S]
	// Writes, when set, counts the rows and bytes stored, once committed.
	Writes *Writes
}

// Head is how a state says whether its head changed since it was stored. Encoding
// and hashing a head only to learn that it is the same cost each touched company
// its whole head at every transaction, however little the transaction held.
type Head[S any] struct {
	// Changed reports whether the state's head may differ from the head last
	// stored (or loaded). A head that changed must be marked: one changed but not
	// marked is not stored. A mark on an unchanged head costs only the encoding.
	Changed func(S) bool
	// Stored tells the state that its head, as it is now, is stored (or found equal
	// to the stored one): the marks are cleared.
	Stored func(S)
}

// Fresh is how a state keeps its fast-changing part apart from its head.
type Fresh[S any] struct {
	// Marshal encodes the fast-changing part of a state; its hash decides whether
	// it changed, so equal parts must encode to equal bytes.
	Marshal func(S) ([]byte, error)
	// Restore lays a stored fast-changing part over a state just loaded from its
	// head (and items). It is not called for a row without one (written before the
	// head lost that part: the head holds it).
	Restore func(s S, b []byte) error
}

// ItemTable is where a state's items are kept: a store.StateItems, or an engine's
// own type over one that keeps some items in another of its tables.
type ItemTable interface {
	Read(ctx context.Context, q store.Querier, codes []string, all bool) (map[string]map[string][]byte, error)
	// Queue queues the writes on b, and may stage them on tx first (store.StateItems).
	Queue(ctx context.Context, tx pgx.Tx, b *pgx.Batch, w *store.ItemWrites) error
}

// Items is how a state keeps keyed items beside its head.
type Items[S any] struct {
	// Table is the table the items are kept in. Its writes run after the
	// transaction's OnSend functions, so they may depend on what those wrote.
	Table ItemTable
	// Load builds a company's state from its stored head (nil: a company with no
	// row) and items.
	Load func(code string, head []byte, items map[string][]byte) (S, error)
	// Changed encodes the items of a company's state changed since it was loaded or
	// last Saved: item key → document, nil for an item removed. It returns them
	// again until Saved is called.
	Changed func(code string, s S) (map[string][]byte, error)
	// Saved tells the state that what Changed last returned is stored.
	Saved func(code string, s S)
}

// company is one company's state and the version of it held.
type company[S any] struct {
	state   S
	version int64
	saved   [32]byte // hash of the head as last stored (zero: never stored)
	fresh   [32]byte // hash of the fresh part as last stored (zero: never stored)
}

// Runner holds the companies' states of one process. Its methods are safe for
// concurrent use: transactions are serialized.
type Runner[S any] struct {
	cfg  Config[S]
	pool *pgxpool.Pool

	mu        sync.Mutex
	companies map[string]*company[S]
}

// New loads every company's stored state.
func New[S any](ctx context.Context, pool *pgxpool.Pool, cfg Config[S]) (*Runner[S], error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Runner[S]{cfg: cfg, pool: pool, companies: map[string]*company[S]{}}
	states, err := cfg.States.Read(ctx, pool, nil, true)
	if err != nil {
		return nil, err
	}
	items, err := r.readItems(ctx, pool, nil, true)
	if err != nil {
		return nil, err
	}
	for code, st := range states {
		if err := r.install(code, st, items[code]); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// readItems reads the stored items of codes (all: every company's), none when the
// states keep no items.
func (r *Runner[S]) readItems(ctx context.Context, q store.Querier, codes []string, all bool) (map[string]map[string][]byte, error) {
	if r.cfg.Items == nil || (!all && len(codes) == 0) {
		return nil, nil
	}
	return r.cfg.Items.Table.Read(ctx, q, codes, all)
}

// Pool is the database the states are kept in.
func (r *Runner[S]) Pool() *pgxpool.Pool { return r.pool }

// Held lists the companies this process holds a state of.
func (r *Runner[S]) Held() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.companies))
	for code := range r.companies {
		out = append(out, code)
	}
	return out
}

// held is the version of the in-memory copy of a company, if there is one.
func (r *Runner[S]) held(code string) (int64, bool) {
	c, ok := r.companies[code]
	if !ok {
		return 0, false
	}
	return c.version, true
}

// install replaces the in-memory copy of a company by a stored state and items.
func (r *Runner[S]) install(code string, st store.CompanyState, items map[string][]byte) error {
	var s S
	var err error
	if r.cfg.Items != nil {
		s, err = r.cfg.Items.Load(code, st.State, items)
	} else {
		s, err = r.cfg.Load(code, st.State)
	}
	if err == nil && st.Fresh != nil && r.cfg.Fresh != nil {
		err = r.cfg.Fresh.Restore(s, st.Fresh)
	}
	if err != nil {
		return fmt.Errorf("%s: company %s: %w", r.cfg.Name, code, err)
	}
	c := &company[S]{state: s, version: st.Version}
	if st.State != nil || !r.cfg.StoreNew {
		head, fresh, err := r.marshal(s)
		if err != nil {
			return err
		}
		// A row written before its state had a fresh part is written whole at its
		// next write, even if nothing changed in between: its head is in the layout
		// of its day (a whole state with its items in it, the fast part), which a
		// fresh part alone would leave behind. So is one whose head is Outdated.
		outdated := r.cfg.Outdated != nil && r.cfg.Outdated(s)
		if (st.State == nil || st.Fresh != nil || r.cfg.Fresh == nil) && !outdated {
			c.saved, c.fresh = sha256.Sum256(head), hashFresh(fresh)
		}
	}
	r.companies[code] = c
	return nil
}

// marshal encodes a state's head and fresh part (nil without Config.Fresh).
func (r *Runner[S]) marshal(s S) (head, fresh []byte, err error) {
	if head, err = r.cfg.Marshal(s); err != nil {
		return nil, nil, err
	}
	if r.cfg.Fresh != nil {
		if fresh, err = r.cfg.Fresh.Marshal(s); err != nil {
			return nil, nil, err
		}
	}
	return head, fresh, nil
}

// hashFresh is the hash of a fresh part; none (no Config.Fresh) hashes as the zero
// hash, so it never counts as a change.
func hashFresh(b []byte) [32]byte {
	if b == nil {
		return [32]byte{}
	}
	return sha256.Sum256(b)
}

// Txn is one transaction of a runner, as its function sees it.
type Txn[S any] struct {
	// Tx is the transaction; what the function writes through it commits with the
	// states.
	Tx    pgx.Tx
	r     *Runner[S]
	codes []string
	only  map[string]bool
	store []func(code string, s S)
	send  []func(ctx context.Context, tx pgx.Tx) error
	done  []func()
}

// Codes lists the companies of the transaction, sorted.
func (t *Txn[S]) Codes() []string { return t.codes }

// Get is a company's state; the company must be among the transaction's codes.
func (t *Txn[S]) Get(code string) S { return t.r.companies[code].state }

// StoreOnly restricts the states stored to those of changed (by default every
// company of the transaction whose state's hash changed is stored).
func (t *Txn[S]) StoreOnly(changed map[string]bool) { t.only = changed }

// OnStore registers f, called for each company whose state is about to be stored.
func (t *Txn[S]) OnStore(f func(code string, s S)) { t.store = append(t.store, f) }

// OnSend registers f, called after the function and the OnStore calls, before the
// states are written and the transaction commits: the engine writes what it queued.
func (t *Txn[S]) OnSend(f func(ctx context.Context, tx pgx.Tx) error) { t.send = append(t.send, f) }

// OnCommit registers f, called once the transaction committed.
func (t *Txn[S]) OnCommit(f func()) { t.done = append(t.done, f) }

// Codes lists the companies a transaction covers. It runs inside the transaction,
// before their rows are locked; held are the companies this process holds a copy
// of. Duplicates are allowed.
type Codes func(ctx context.Context, tx pgx.Tx, held []string) ([]string, error)

// These returns Codes that are always codes.
func These(codes ...string) Codes {
	return func(context.Context, pgx.Tx, []string) ([]string, error) { return codes, nil }
}

// Transact runs fn over the states of the companies codes lists, in one
// transaction: it locks their rows (in code order), reloads the copies that are
// stale, runs fn, and stores each company's state whose hash changed, at the next
// version. If anything fails the copies involved are dropped, so the next call
// reloads what was stored; a row another process wrote between the lock and the
// write fails the transaction with store.ErrStaleState.
func (r *Runner[S]) Transact(ctx context.Context, codes Codes, fn func(ctx context.Context, t *Txn[S]) error) (err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", r.cfg.Name, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	held := make([]string, 0, len(r.companies))
	for code := range r.companies {
		held = append(held, code)
	}
	list, err := codes(ctx, tx, held)
	if err != nil {
		return err
	}
	list = slices.Clone(list)
	slices.Sort(list)
	list = slices.Compact(list)
	stale, err := r.cfg.States.LockStale(ctx, tx, list, r.held)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			for _, code := range list {
				delete(r.companies, code)
			}
		}
	}()
	var staleCodes []string
	for code := range stale {
		staleCodes = append(staleCodes, code)
	}
	items, err := r.readItems(ctx, tx, staleCodes, false)
	if err != nil {
		return err
	}
	for code, st := range stale {
		if err := r.install(code, st, items[code]); err != nil {
			return err
		}
	}
	t := &Txn[S]{Tx: tx, r: r, codes: list}
	if err := fn(ctx, t); err != nil {
		return err
	}
	var states pgx.Batch
	var writes store.ItemWrites
	var withItems, compared []string
	now := r.cfg.Now()
	saved := map[string][2][32]byte{}
	var wrote written
	for _, code := range list {
		if t.only != nil && !t.only[code] {
			continue
		}
		c := r.companies[code]
		// A head stored before (this process's hash of it) and not marked changed is
		// the stored one: it is encoded only when it has to be written whole.
		h, head := c.saved, []byte(nil)
		whole := c.version == 0 || r.cfg.Fresh == nil
		if r.cfg.Head == nil || c.saved == ([32]byte{}) || whole || r.cfg.Head.Changed(c.state) {
			if head, err = r.cfg.Marshal(c.state); err != nil {
				return err
			}
			h = sha256.Sum256(head)
			if r.cfg.Head != nil {
				compared = append(compared, code)
			}
		}
		var fresh []byte
		if r.cfg.Fresh != nil {
			if fresh, err = r.cfg.Fresh.Marshal(c.state); err != nil {
				return err
			}
		}
		fh := hashFresh(fresh)
		var changed map[string][]byte
		if r.cfg.Items != nil {
			if changed, err = r.cfg.Items.Changed(code, c.state); err != nil {
				return err
			}
		}
		if h == c.saved && fh == c.fresh && len(changed) == 0 {
			continue
		}
		for _, f := range t.store {
			f(code, c.state)
		}
		// The row is written even when only items changed: its version is what
		// tells another process that its copy is stale. With a fresh part, the head
		// goes only when it changed (or the company has no row yet).
		if h != c.saved || whole {
			r.cfg.States.QueueWrite(&states, code, c.version+1, head, fresh, now)
			wrote.add(true, head, fresh, changed)
		} else {
			r.cfg.States.QueueFresh(&states, code, c.version+1, fresh, now)
			wrote.add(false, nil, fresh, changed)
		}
		if len(changed) > 0 {
			writes.Add(code, changed)
			withItems = append(withItems, code)
		}
		saved[code] = [2][32]byte{h, fh}
	}
	if r.cfg.Items != nil {
		if err := r.cfg.Items.Table.Queue(ctx, tx, &states, &writes); err != nil {
			return fmt.Errorf("%s: %w", r.cfg.Name, err)
		}
	}
	for _, f := range t.send {
		if err := f(ctx, tx); err != nil {
			return err
		}
	}
	if states.Len() > 0 {
		if err := tx.SendBatch(ctx, &states).Close(); err != nil {
			return fmt.Errorf("%s: write states: %w", r.cfg.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%s: commit: %w", r.cfg.Name, err)
	}
	r.cfg.Writes.count(wrote)
	for code, h := range saved {
		c := r.companies[code]
		c.version, c.saved, c.fresh = c.version+1, h[0], h[1]
	}
	for _, code := range withItems {
		r.cfg.Items.Saved(code, r.companies[code].state)
	}
	for _, code := range compared {
		r.cfg.Head.Stored(r.companies[code].state)
	}
	for _, f := range t.done {
		f()
	}
	return nil
}
