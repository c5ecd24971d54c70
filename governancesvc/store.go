package governancesvc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/warning"
)

// stateTable is where the tracker's memory is kept per company.
var stateTable = store.CompanyStates{Table: "governance_state"}

// stateItems holds the items of the trackers' memory (governance.Tracker.ChangedItems)
// but the open facts governance_facts holds.
var stateItems = trackerItems{store.StateItems{Table: "governance_state_items"}}

// trackerItems are the items of the trackers' memory less their open facts: every
// open fact is a row of governance_facts, written with the same document in the same
// transaction, before the items (runner.Items.Table), so an item would store it
// twice — on hidden-dangers two rows per 隐患 — and a restart reads the open facts
// from there. An open fact whose row is closed keeps its item: the tracker reopened
// a fact of an ID it closed before (a 隐患 past its deadline accepted, then sent
// again as not accepted, reopens its overdue fact with the same start), the facts
// table refuses that (a closed fact is never reopened), and the tracker holds it open
// all the same; its item lets a restarted tracker remember what the running one does.
type trackerItems struct{ store.StateItems }

// heldAsFact is the condition, on an item x of store.StateItems.QueueUnless, that
// governance_facts holds it: an open fact whose row there is open.
const heldAsFact = `x.i LIKE 'fact|%' AND EXISTS (SELECT 1 FROM governance_facts f
	WHERE f.fact_id = x.d::json->>'id' AND f.ended_at IS NULL)`

// Queue queues the items' writes, storing no open fact governance_facts holds (and
// removing one stored before it held them).
func (t trackerItems) Queue(ctx context.Context, tx pgx.Tx, b *pgx.Batch, w *store.ItemWrites) error {
	return t.QueueUnless(ctx, tx, b, w, heldAsFact)
}

// Read reads the stored items of codes (every company's when all is set) and adds
// the open facts governance_facts holds, keyed fact|<fact ID>.
func (t trackerItems) Read(ctx context.Context, q store.Querier, codes []string, all bool) (map[string]map[string][]byte, error) {
	out, err := t.StateItems.Read(ctx, q, codes, all)
	if err != nil {
		return nil, err
	}
	sql, args := `SELECT company_code, fact_id, doc FROM governance_facts WHERE ended_at IS NULL AND company_code = ANY($1)`, []any{codes}
	if all {
		sql, args = `SELECT company_code, fact_id, doc FROM governance_facts WHERE ended_at IS NULL`, nil
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("quality: read open facts: %w", err)
	}
	var code, id string
	var doc []byte
	_, err = pgx.ForEachRow(rows, []any{&code, &id, &doc}, func() error {
		m, ok := out[code]
		if !ok {
			m = map[string][]byte{}
			out[code] = m
		}
		m["fact|"+id] = append([]byte(nil), doc...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("quality: read open facts: %w", err)
	}
	return out, nil
}

type querier interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}

func column(ctx context.Context, q querier, sql string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// allStates lists the companies with a stored state.
func allStates(ctx context.Context, q querier) ([]string, error) {
	out, err := column(ctx, q, `SELECT company_code FROM governance_state`)
	if err != nil {
		return nil, fmt.Errorf("quality: list states: %w", err)
	}
	return out, nil
}

// registered lists the enterprises of the registry not disabled: they are expected
// to commit and send data whether they have sent anything yet or not.
func registered(ctx context.Context, q querier) ([]string, error) {
	out, err := column(ctx, q, `SELECT code FROM enterprises WHERE disabled_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("quality: list enterprises: %w", err)
	}
	return out, nil
}

// disabled maps the enterprises disabled in the registry to when they were.
func disabled(ctx context.Context, q querier) (map[string]time.Time, error) {
	rows, err := q.Query(ctx, `SELECT code, disabled_at FROM enterprises WHERE disabled_at IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("quality: list disabled enterprises: %w", err)
	}
	out := map[string]time.Time{}
	var code string
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&code, &at}, func() error {
		out[code] = at
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("quality: list disabled enterprises: %w", err)
	}
	return out, nil
}

// partition is a topic partition.
type partition struct {
	topic string
	part  int
}

// position is where a topic partition has been applied up to.
type position struct {
	next int64     // the first offset not applied
	last time.Time // the append time of the last message applied
}

// unapplied locks the stored offsets of the batch's topic partitions and returns the
// messages at or after them, in order, and the positions to store once they are. A
// message below the stored offset but appended after the last one applied belongs to
// a new log (the topic was recreated): it is applied, and the position restarts.
func unapplied(ctx context.Context, tx pgx.Tx, msgs []bus.Message) ([]bus.Message, map[partition]position, error) {
	var topics []string
	seen := map[string]bool{}
	for _, m := range msgs {
		if !seen[m.Topic] {
			seen[m.Topic] = true
			topics = append(topics, m.Topic)
		}
	}
	rows, err := tx.Query(ctx, `SELECT topic, partition, next_offset, last_time FROM governance_offsets
		WHERE topic = ANY($1) ORDER BY topic, partition FOR UPDATE`, topics)
	if err != nil {
		return nil, nil, fmt.Errorf("quality: read offsets: %w", err)
	}
	stored := map[partition]position{}
	var p partition
	var at position
	if _, err := pgx.ForEachRow(rows, []any{&p.topic, &p.part, &at.next, &at.last}, func() error {
		stored[p] = at
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("quality: read offsets: %w", err)
	}
	next := map[partition]position{}
	fresh := make([]bus.Message, 0, len(msgs))
	for _, m := range msgs {
		k := partition{m.Topic, m.Partition}
		if from, ok := stored[k]; ok && m.Offset < from.next && !m.Time.After(from.last) {
			continue // applied before: a replay
		}
		fresh = append(fresh, m)
		n, ok := next[k]
		if !ok || m.Offset >= n.next {
			n = position{next: m.Offset + 1, last: m.Time}
		}
		next[k] = n
	}
	return fresh, next, nil
}

// writer queues one transaction's writes.
type writer struct {
	b       pgx.Batch
	now     time.Time
	rules   *governance.Config
	pending map[string]int // fact ID → index in facts
	list    []governance.Fact
	counts  map[countKey]int // records received by company, day, table and rule
	conns   map[connKey]*connection
}

// connKey is a row of rollout_connections (migration 00055).
type connKey struct{ company, table, source string }

type connection struct {
	first, last time.Time
	records     int
}

// registeredKinds maps every registered company to its kind (enterprises.kind): what
// it owes (governance.OwedTables).
func registeredKinds(ctx context.Context, q querier) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT code, kind FROM enterprises`)
	if err != nil {
		return nil, fmt.Errorf("quality: enterprise kinds: %w", err)
	}
	out := map[string]string{}
	var code, kind string
	_, err = pgx.ForEachRow(rows, []any{&code, &kind}, func() error { out[code] = kind; return nil })
	if err != nil {
		return nil, fmt.Errorf("quality: enterprise kinds: %w", err)
	}
	return out, nil
}

// connections notes the accepted records of u in rollout_connections: which system
// sent the table, first and last received.
func (w *writer) connections(u governance.Upload) {
	if u.Accepted == 0 {
		return
	}
	source := "own"
	if u.Source == events.SourceBase {
		source = events.SourceBase
	}
	first, last := u.First, u.Last
	if first.IsZero() {
		first, last = w.now, w.now
	}
	if w.conns == nil {
		w.conns = map[connKey]*connection{}
	}
	k := connKey{u.Company, u.Table, source}
	c, ok := w.conns[k]
	if !ok {
		c = &connection{first: first, last: last}
		w.conns[k] = c
	}
	c.records += u.Accepted
	if first.Before(c.first) {
		c.first = first
	}
	if last.After(c.last) {
		c.last = last
	}
}

// queueConnections upserts the noted connections, in one statement.
func (w *writer) queueConnections() {
	if len(w.conns) == 0 {
		return
	}
	keys := make([]connKey, 0, len(w.conns))
	for k := range w.conns {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return a.company+"|"+a.table+"|"+a.source < b.company+"|"+b.table+"|"+b.source
	})
	var cos, tables, sources []string
	var firsts, lasts []time.Time
	var n []int64
	for _, k := range keys {
		c := w.conns[k]
		cos, tables, sources = append(cos, k.company), append(tables, k.table), append(sources, k.source)
		firsts, lasts, n = append(firsts, c.first), append(lasts, c.last), append(n, int64(c.records))
	}
	w.b.Queue(`INSERT INTO rollout_connections (company_code, table_name, source, first_at, last_at, records)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::bigint[])
		ON CONFLICT (company_code, table_name, source) DO UPDATE
			SET first_at = least(rollout_connections.first_at, EXCLUDED.first_at),
			    last_at = greatest(rollout_connections.last_at, EXCLUDED.last_at),
			    records = rollout_connections.records + EXCLUDED.records`,
		cos, tables, sources, firsts, lasts, n)
}

// countKey is a row of governance_record_counts (migration 00017).
type countKey struct{ company, day, table, rule string }

// uploads counts the records of the governance.Upload among events as received on
// the local day of w.now: accepted under rule "", refused under their rule.
func (w *writer) uploads(evs []governance.Event) {
	day := dayString(w.now)
	for _, ev := range evs {
		u, ok := ev.(governance.Upload)
		if !ok {
			continue
		}
		if w.counts == nil {
			w.counts = map[countKey]int{}
		}
		if u.Accepted > 0 {
			w.counts[countKey{u.Company, day, u.Table, ""}] += u.Accepted
		}
		w.connections(u)
		for rule, n := range u.Rejected {
			if n > 0 {
				w.counts[countKey{u.Company, day, u.Table, rule}] += n
			}
		}
	}
}

// queueCounts adds the counted records to governance_record_counts, in one
// statement.
func (w *writer) queueCounts() {
	if len(w.counts) == 0 {
		return
	}
	keys := make([]countKey, 0, len(w.counts))
	for k := range w.counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { // a stable order: concurrent writers lock rows alike
		a, b := keys[i], keys[j]
		return a.day+"|"+a.company+"|"+a.table+"|"+a.rule < b.day+"|"+b.company+"|"+b.table+"|"+b.rule
	})
	var cos, days, tables, rules []string
	var n []int64
	for _, k := range keys {
		cos, days, tables, rules = append(cos, k.company), append(days, k.day), append(tables, k.table), append(rules, k.rule)
		n = append(n, int64(w.counts[k]))
	}
	w.b.Queue(`INSERT INTO governance_record_counts (company_code, day, table_name, rule, records, updated_at)
		SELECT c, d::date, t, r, n, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS x(c, d, t, r, n)
		ON CONFLICT (day, company_code, table_name, rule) DO UPDATE
			SET records = governance_record_counts.records + EXCLUDED.records, updated_at = EXCLUDED.updated_at`,
		cos, days, tables, rules, n, w.now)
}

// facts queues the facts changes leave, the last version of each fact only.
func (w *writer) facts(changes []governance.Change) {
	if w.pending == nil {
		w.pending = map[string]int{}
	}
	for _, c := range changes {
		if i, ok := w.pending[c.Fact.ID]; ok {
			w.list[i] = c.Fact
			continue
		}
		w.pending[c.Fact.ID] = len(w.list)
		w.list = append(w.list, c.Fact)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("quality: marshal %T: %v", v, err)) // governance types always marshal
	}
	return b
}

// factColumns name the columns facts are written from, in upsertFactsFrom's order:
// upsertFacts' arrays and copyFacts' temporary table.
var factColumns = []string{"id", "company", "kind", "dimension", "subject", "severity", "day", "started", "ended",
	"count", "detail", "evidence", "doc"}

// upsertFactsFrom is the statement that writes facts as they are now from rows (a
// row source whose columns are factColumns), with updatedAt (a parameter) as their
// updated_at: one row per fact ID (the writer keeps the last version of each), in
// one statement. A closed fact is never reopened.
func upsertFactsFrom(rows, updatedAt string) string {
	return `INSERT INTO governance_facts (fact_id, company_code, kind, dimension, subject, severity, day,
	started_at, ended_at, count, detail, evidence, doc, updated_at)
	SELECT id, company, kind, dimension, subject, severity, day::date, started, ended, count, detail,
		evidence::jsonb, doc::jsonb, ` + updatedAt + `
	FROM ` + rows + `
	ON CONFLICT (fact_id) DO UPDATE SET kind = EXCLUDED.kind, severity = EXCLUDED.severity, day = EXCLUDED.day,
		ended_at = EXCLUDED.ended_at, count = EXCLUDED.count, detail = EXCLUDED.detail,
		evidence = EXCLUDED.evidence, doc = EXCLUDED.doc, updated_at = EXCLUDED.updated_at
	WHERE governance_facts.ended_at IS NULL`
}

// upsertFacts writes the facts sent as arrays, one per column: a 隐患 batch changes
// thousands of facts, and a statement per fact cost more in PostgreSQL than the rows
// themselves.
var upsertFacts = upsertFactsFrom(`unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::timestamptz[], $9::timestamptz[], $10::int[], $11::text[], $12::text[], $13::text[])
		AS f(`+strings.Join(factColumns, ", ")+`)`, "$14")

// upsertCopiedFacts writes the facts copyFacts copied, in their order by ID.
var upsertCopiedFacts = upsertFactsFrom("governance_facts_in ORDER BY id", "$1")

// bulkFacts is the number of facts from which a transaction copies them into a
// temporary table and upserts them from there (copyFacts) instead of sending them
// as upsertFacts' arrays. A tick that opens the findings of a 隐患 upload — two per
// 隐患 whose hazard and measure are unknown — writes tens of thousands of facts at
// once: as arrays, each fact's document was held three times over (the document,
// its text encoding, the bound message), 0.8 GB in use for one tick of the
// hidden-dangers bench; COPY streams the rows as it makes them.
const bulkFacts = 1000

// sortedFacts returns the queued facts by ID: a stable order, so that concurrent
// writers lock rows alike.
func (w *writer) sortedFacts() []governance.Fact {
	facts := append([]governance.Fact(nil), w.list...)
	sort.Slice(facts, func(i, j int) bool { return facts[i].ID < facts[j].ID })
	return facts
}

// factRow is what upsertFacts' and copyFacts' columns hold of fact f beyond its
// plain fields.
func factRow(f *governance.Fact) (day *string, ended *time.Time, evidence, doc string) {
	if f.Day != "" {
		day = &f.Day
	}
	if !f.Ended.IsZero() {
		ended = &f.Ended
	}
	return day, ended, string(mustJSON(f.Evidence)), string(mustJSON(f))
}

func (w *writer) queueFacts() {
	if len(w.list) == 0 || len(w.list) >= bulkFacts {
		return
	}
	facts := w.sortedFacts()
	n := len(facts)
	ids, cos, kinds, dims, subjects, sevs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	days, ended := make([]*string, n), make([]*time.Time, n)
	started, counts := make([]time.Time, n), make([]int32, n)
	details, evidence, docs := make([]string, n), make([]string, n), make([]string, n)
	for i := range facts {
		f := &facts[i]
		ids[i], cos[i], kinds[i], subjects[i], sevs[i] = f.ID, f.Company, string(f.Kind), f.Subject, string(f.Severity)
		dims[i] = string(w.rules.Kinds[f.Kind].Dimension)
		days[i], ended[i], evidence[i], docs[i] = factRow(f)
		started[i], counts[i], details[i] = f.Started, int32(f.Count), f.Detail
	}
	w.b.Queue(upsertFacts, ids, cos, kinds, dims, subjects, sevs, days, started, ended, counts, details, evidence, docs, w.now)
}

// copyFacts writes the queued facts when they are bulkFacts or more: copied into a
// temporary table, one row made at a time, then upserted from it in one statement.
func (w *writer) copyFacts(ctx context.Context, tx pgx.Tx) error {
	if len(w.list) < bulkFacts {
		return nil
	}
	facts := w.sortedFacts()
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE governance_facts_in (id text, company text, kind text, dimension text,
		subject text, severity text, day text, started timestamptz, ended timestamptz, count int, detail text,
		evidence text, doc text) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("quality: write facts: %w", err)
	}
	i := 0
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"governance_facts_in"}, factColumns, pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(facts) {
			return nil, nil
		}
		f := &facts[i]
		i++
		day, ended, evidence, doc := factRow(f)
		return []any{f.ID, f.Company, string(f.Kind), string(w.rules.Kinds[f.Kind].Dimension), f.Subject,
			string(f.Severity), day, f.Started, ended, int32(f.Count), f.Detail, evidence, doc}, nil
	})); err != nil {
		return fmt.Errorf("quality: write facts: %w", err)
	}
	if _, err := tx.Exec(ctx, upsertCopiedFacts, w.now); err != nil {
		return fmt.Errorf("quality: write facts: %w", err)
	}
	return nil
}

// offsets queues the positions of the topic partitions a batch applied, in order.
func (w *writer) offsets(next map[partition]position) {
	keys := make([]partition, 0, len(next))
	for p := range next {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].topic != keys[j].topic {
			return keys[i].topic < keys[j].topic
		}
		return keys[i].part < keys[j].part
	})
	for _, p := range keys {
		at := next[p]
		w.b.Queue(`INSERT INTO governance_offsets (topic, partition, next_offset, last_time, updated_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset,
				last_time = EXCLUDED.last_time, updated_at = EXCLUDED.updated_at`, p.topic, p.part, at.next, at.last, w.now)
	}
}

// cursor queues the new position of the warning engine's change feed.
func (w *writer) cursor(position int64) {
	w.b.Queue(`INSERT INTO governance_cursors (name, position, updated_at) VALUES ('alerting', $1, now())
		ON CONFLICT (name) DO UPDATE SET position = GREATEST(governance_cursors.position, EXCLUDED.position),
			updated_at = EXCLUDED.updated_at`, position)
}

// send runs the queued writes.
func (w *writer) send(ctx context.Context, tx pgx.Tx) error {
	if err := w.copyFacts(ctx, tx); err != nil {
		return err
	}
	w.queueFacts()
	w.queueCounts()
	w.queueConnections()
	if w.b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, &w.b).Close(); err != nil {
		return fmt.Errorf("quality: write: %w", err)
	}
	return nil
}

// alertFeed is what the warning engine stored since the cursor.
type alertFeed struct {
	position int64 // the new cursor
	alarms   []governance.IndicatorAlarm
	warnings []governance.DisposalStep
}

func (f *alertFeed) companies() []string {
	var out []string
	for _, a := range f.alarms {
		out = append(out, a.Company)
	}
	for _, x := range f.warnings {
		out = append(out, x.Company)
	}
	return out
}

// The feed reads rows by the transaction that last wrote them (written_xid,
// migration 00012). Rows are read once every transaction that could still write below
// the position has ended: the position is the oldest transaction still running when
// the feed is read (pg_snapshot_xmin), and the rows read are those written by
// transactions from the previous position up to it, an index range on written_xid.
// Positions are stored as bigint and compared as xid8 ($1 the new position, $2 the
// previous one).
//
// readAlertFeed reads the indicator alarms and warning events the warning consumer
// committed since the cursor. A row written again since (an alarm cleared) is read
// as it is now.
func readAlertFeed(ctx context.Context, tx pgx.Tx) (alertFeed, error) {
	var f alertFeed
	var from int64
	err := tx.QueryRow(ctx, `SELECT position FROM governance_cursors WHERE name = 'alerting'`).Scan(&from)
	if errors.Is(err, pgx.ErrNoRows) {
		from, err = 0, nil
	}
	if err != nil {
		return f, fmt.Errorf("quality: read cursor: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&f.position); err != nil {
		return f, fmt.Errorf("quality: read snapshot: %w", err)
	}
	if f.position <= from {
		f.position = from
		return f, nil
	}
	rows, err := tx.Query(ctx, `SELECT a.doc, a.cleared_at IS NOT NULL FROM alarms a
		WHERE a.source = 'indicator' AND a.severity <> 'no_data'
			AND a.written_xid >= $2::bigint::text::xid8 AND a.written_xid < $1::bigint::text::xid8
		ORDER BY a.written_xid, a.id`, f.position, from)
	if err != nil {
		return f, fmt.Errorf("quality: read alarms: %w", err)
	}
	var doc []byte
	var cleared bool
	_, err = pgx.ForEachRow(rows, []any{&doc, &cleared}, func() error {
		var a warning.Alarm
		if err := json.Unmarshal(doc, &a); err != nil {
			return err
		}
		f.alarms = append(f.alarms, governance.IndicatorAlarm{Company: a.Company, ID: a.ID, Indicator: a.Indicator,
			NoData: a.Severity == warning.SevNoData, Cleared: cleared, Start: a.Start, Clear: a.Clear})
		return nil
	})
	if err != nil {
		return f, fmt.Errorf("quality: read alarms: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT w.warning_key, w.company_code, v.kind, v.level, v.action, v.escalation
		FROM warning_events v JOIN warnings w ON w.id = v.warning_id
		WHERE v.kind IN ('disposal_acted', 'disposal_escalated', 'disposal_overdue', 'warning_settled')
			AND v.written_xid >= $2::bigint::text::xid8 AND v.written_xid < $1::bigint::text::xid8
		ORDER BY v.id`, f.position, from)
	if err != nil {
		return f, fmt.Errorf("quality: read warning events: %w", err)
	}
	var key, code, kind, level string
	var action, esc []byte
	_, err = pgx.ForEachRow(rows, []any{&key, &code, &kind, &level, &action, &esc}, func() error {
		var l warning.Level
		if pl, err := warning.ParseLevel(level); err == nil {
			l = pl
		}
		x := governance.DisposalStep{Company: code, Warning: key, LevelZH: l.NameZH()}
		switch warning.ChangeKind(kind) {
		case warning.DisposalEscalated, warning.DisposalOverdue:
			if len(esc) > 0 {
				var e warning.Escalation
				if err := json.Unmarshal(esc, &e); err != nil {
					return err
				}
				x.Overdue = &governance.Overdue{Step: string(e.Step), Deadline: e.Deadline, At: e.At,
					From: string(e.From), To: string(e.To)}
			}
		case warning.DisposalActed, warning.WarningSettled:
			x.Taken = true
			if len(action) > 0 {
				var a warning.Action
				if err := json.Unmarshal(action, &a); err != nil {
					return err
				}
				x.At = a.At
			}
		}
		f.warnings = append(f.warnings, x)
		return nil
	})
	if err != nil {
		return f, fmt.Errorf("quality: read warning events: %w", err)
	}
	return f, nil
}
