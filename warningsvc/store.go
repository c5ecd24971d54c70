package warningsvc

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/warning"
)

// stateTable is where the engine's state is kept per company.
var stateTable = store.CompanyStates{Table: "warning_engine_state"}

// stateItems keeps the items of the engine's state beside its head: one row per
// open 隐患 of a company (warning.MarshalHead, migration 00101).
var stateItems = store.StateItems{Table: "warning_engine_state_items"}

// writer queues one transaction's writes.
type writer struct {
	b      pgx.Batch
	now    time.Time
	kinds  map[warning.ChangeKind]int  // changes queued, for the metrics once committed
	alarms map[[2]string]warning.Alarm // by company and alarm id: the last copy wins

	rows    *written               // what was last written of each company's alarms and warnings
	next    map[string]companyRows // what current found of each company stored, to remember once committed
	changed map[string]bool        // warning ids queued by a reported change in this transaction
	touched map[string]bool        // companies with rows queued by a reported change
}

func tsOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("alerting: marshal %T: %v", v, err)) // engine types always marshal
	}
	return b
}

// alarm queues the upsert of an alarm as it is now; a later copy of the same alarm
// in the transaction replaces it. A cleared alarm is never reopened.
func (w *writer) alarm(a *warning.Alarm) {
	if w.alarms == nil {
		w.alarms = map[[2]string]warning.Alarm{}
	}
	w.alarms[[2]string{a.Company, a.ID}] = *a
}

// alarmColumns are the alarms columns an upsert writes, in alarmRow's order.
var alarmColumns = []string{"alarm_key", "company_code", "source", "indicator_code", "hazard_code", "area", "kind",
	"alarm_type", "severity", "max_severity", "limit_value", "started_at", "raised_at", "peak", "peak_at", "cleared_at",
	"clear_reason", "doc", "updated_at"}

// alarmUpsert moves rows from the table named by %s into alarms.
const alarmUpsert = `INSERT INTO alarms (alarm_key, company_code, source, indicator_code, hazard_code, area, kind,
	alarm_type, severity, max_severity, limit_value, started_at, raised_at, peak, peak_at, cleared_at,
	clear_reason, doc, updated_at) %s
	ON CONFLICT (company_code, alarm_key) DO UPDATE SET severity = EXCLUDED.severity,
		max_severity = EXCLUDED.max_severity, limit_value = EXCLUDED.limit_value, peak = EXCLUDED.peak,
		peak_at = EXCLUDED.peak_at, cleared_at = EXCLUDED.cleared_at, clear_reason = EXCLUDED.clear_reason,
		doc = EXCLUDED.doc, updated_at = EXCLUDED.updated_at, written_xid = pg_current_xact_id()
	WHERE alarms.cleared_at IS NULL`

// alarmRow is an alarm as the values of alarmColumns.
func (w *writer) alarmRow(a *warning.Alarm) []any {
	source := string(a.Source)
	if source == "" {
		source = "indicator"
	}
	var limit, peak any
	switch a.Severity {
	case warning.SevHigh, warning.SevHighHigh, warning.SevLow, warning.SevLowLow:
		limit = a.Limit
	}
	if !a.PeakAt.IsZero() {
		peak = a.Peak
	}
	return []any{a.ID, a.Company, source, a.Indicator, a.Hazard, a.Area, string(a.Kind), a.Type, string(a.Severity),
		string(a.MaxSeverity), limit, a.Start, a.RaisedAt, peak, tsOrNil(a.PeakAt), tsOrNil(a.Clear),
		a.ClearReason, mustJSON(a), w.now}
}

// bulkAlarms is the number of alarms from which a transaction copies them into a
// temporary table and upserts them in one statement (a tick in which many
// indicators fall silent at once) rather than one statement each.
const bulkAlarms = 200

// sendAlarms writes the queued alarms.
func (w *writer) sendAlarms(ctx context.Context, tx pgx.Tx) error {
	if len(w.alarms) == 0 {
		return nil
	}
	rows := make([][]any, 0, len(w.alarms))
	for _, a := range w.alarms {
		rows = append(rows, w.alarmRow(&a))
	}
	if len(rows) < bulkAlarms {
		values := make([]string, len(alarmColumns))
		for i := range values {
			values[i] = fmt.Sprintf("$%d", i+1)
		}
		q := fmt.Sprintf(alarmUpsert, "VALUES ("+strings.Join(values, ", ")+")")
		for _, r := range rows {
			w.b.Queue(q, r...)
		}
		return nil
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE alarms_in (LIKE alarms INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("alerting: write alarms: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"alarms_in"}, alarmColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("alerting: write alarms: %w", err)
	}
	q := fmt.Sprintf(alarmUpsert, "SELECT "+strings.Join(alarmColumns, ", ")+" FROM alarms_in")
	if _, err := tx.Exec(ctx, q); err != nil {
		return fmt.Errorf("alerting: write alarms: %w", err)
	}
	return nil
}

// lastChange is when anything about the warning last changed.
func lastChange(x *warning.Warning) time.Time {
	t := x.UpdatedAt
	if n := len(x.Disposal.Actions); n > 0 && x.Disposal.Actions[n-1].At.After(t) {
		t = x.Disposal.Actions[n-1].At
	}
	if n := len(x.Disposal.Escalations); n > 0 && x.Disposal.Escalations[n-1].At.After(t) {
		t = x.Disposal.Escalations[n-1].At
	}
	return t
}

// area is the leak model's AREA of a warning ("" for the other models).
func area(x *warning.Warning) string {
	if x.Model != warning.ModelLeak {
		return ""
	}
	for i := len(x.Subject) - 1; i >= 0; i-- {
		if x.Subject[i] == '/' {
			return x.Subject[:i]
		}
	}
	return x.Subject
}

// warning upserts a warning as it is now; settled marks it settled. A settled
// warning is never reopened.
func (w *writer) warning(x *warning.Warning, settled bool) { w.upsertWarning(x, settled, mustJSON(x)) }

// upsertWarning queues warning's upsert with doc, its JSON.
func (w *writer) upsertWarning(x *warning.Warning, settled bool, doc []byte) {
	status, settledAt := "open", any(nil)
	if settled {
		status, settledAt = "settled", w.now
	}
	w.b.Queue(`INSERT INTO warnings (warning_key, company_code, model, subject, subject_name, area, level, score,
		status, step, tier, deadline, overdue_at, config_version, raised_at, updated_at, settled_at, factors, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		ON CONFLICT (warning_key) DO UPDATE SET subject_name = EXCLUDED.subject_name, level = EXCLUDED.level,
			score = EXCLUDED.score, status = EXCLUDED.status, step = EXCLUDED.step, tier = EXCLUDED.tier,
			deadline = EXCLUDED.deadline, overdue_at = EXCLUDED.overdue_at, config_version = EXCLUDED.config_version,
			updated_at = EXCLUDED.updated_at, settled_at = EXCLUDED.settled_at, factors = EXCLUDED.factors,
			doc = EXCLUDED.doc
		WHERE warnings.status = 'open'`,
		x.ID, x.Company, x.Model, x.Subject, x.SubjectName, area(x), x.Level.String(), x.Score, status,
		string(x.Disposal.Step), string(x.Disposal.Tier), tsOrNil(x.Disposal.Deadline), tsOrNil(x.Disposal.OverdueAt),
		x.ConfigVersion, x.RaisedAt, lastChange(x), settledAt, mustJSON(x.Factors), doc)
}

// event records one change of a warning in its history.
func (w *writer) event(ch warning.WarningChange) {
	at, reason := w.now, ch.Reason
	var actorID, actorName, actorRole string
	var action, esc any
	if a := ch.Action; a != nil {
		at, actorID, actorName, actorRole = a.At, a.Actor.ID, a.Actor.Name, string(a.Actor.Role)
		if reason == "" {
			reason = a.Reason
		}
		if reason == "" {
			reason = a.Note
		}
		action = mustJSON(a)
	}
	if e := ch.Escalation; e != nil {
		at, esc = e.At, mustJSON(e)
	}
	x := &ch.Warning
	w.b.Queue(`INSERT INTO warning_events (warning_id, kind, at, level, step, tier, reason, actor_id, actor_name,
		actor_role, action, escalation)
		SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM warnings WHERE warning_key = $1`,
		x.ID, string(ch.Kind), at, x.Level.String(), string(x.Disposal.Step), string(x.Disposal.Tier), reason,
		actorID, actorName, actorRole, action, esc)
	w.b.Queue(notifySQL, x.ID, string(ch.Kind), reason, at)
}

// changes queues what one engine call changed: every alarm change, and each warning
// change both as the warning's new row and as a history event.
func (w *writer) changes(ch warning.Changes) {
	if w.kinds == nil {
		w.kinds = map[warning.ChangeKind]int{}
	}
	for _, c := range ch.Alarms {
		w.kinds[c.Kind]++
	}
	for _, c := range ch.Warnings {
		w.kinds[c.Kind]++
	}
	if w.touched == nil {
		w.touched, w.changed = map[string]bool{}, map[string]bool{}
	}
	for i := range ch.Alarms {
		w.alarm(&ch.Alarms[i].Alarm)
		w.touched[ch.Alarms[i].Alarm.Company] = true
	}
	for _, c := range ch.Warnings {
		w.warning(&c.Warning, c.Kind == warning.WarningSettled)
		w.event(c)
		w.touched[c.Warning.Company], w.changed[c.Warning.ID] = true, true
	}
}

// current queues the company's open warnings and active alarms as they are now —
// peaks and factors change without a reported change —, each only when it differs
// from what was last written of it from this copy of the engine (written). A row a
// reported change queued in this transaction is queued again as it is now, whatever
// was written before: the change's copy may be older.
func (w *writer) current(code string, e *warning.Engine) {
	c := e.State().Companies[code]
	if c == nil {
		return
	}
	before := w.rows.of(code, e)
	found := companyRows{engine: e, alarms: map[string]warning.Alarm{}, warnings: map[string][32]byte{}}
	alarm := func(a *warning.Alarm) {
		found.alarms[a.ID] = *a
		_, queued := w.alarms[[2]string{a.Company, a.ID}]
		// == on the whole alarm: two instants compare equal only if they are the same
		// (a copy with another location or a monotonic reading is written again).
		if was, ok := before.alarms[a.ID]; ok && was == *a && !queued {
			return
		}
		w.alarm(a)
	}
	for _, s := range c.Indicators {
		for _, a := range []*warning.Alarm{s.Alarm, s.NoData} {
			if a != nil {
				alarm(a)
			}
		}
	}
	for _, a := range c.Alarms {
		if a.Active() {
			alarm(a)
		}
	}
	for _, x := range c.Warnings {
		doc := mustJSON(x)
		h := docHash(doc)
		found.warnings[x.ID] = h
		if was, ok := before.warnings[x.ID]; ok && was == h && !w.changed[x.ID] {
			continue
		}
		w.upsertWarning(x, false, doc)
	}
	if w.next == nil {
		w.next = map[string]companyRows{}
	}
	w.next[code] = found
}

// committed tells w.rows what the transaction wrote, once it is committed.
func (w *writer) committed() {
	if w.rows != nil {
		w.rows.committed(w.next, w.touched)
	}
}

// send runs the queued writes.
func (w *writer) send(ctx context.Context, tx pgx.Tx) error {
	if err := w.sendAlarms(ctx, tx); err != nil {
		return err
	}
	if w.b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, &w.b).Close(); err != nil {
		return fmt.Errorf("alerting: write: %w", err)
	}
	return nil
}
