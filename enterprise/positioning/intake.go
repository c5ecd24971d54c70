package positioning

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// Fix is one position report of a tag as the gateway sends it.
type Fix struct {
	Card  string    // 卡号
	Time  time.Time // when the tag was there
	X, Y  float64   // metres on the floor's plan
	Floor string    // 楼层号
	SOS   bool      // the tag's 一键求救 button was pressed
	// Speed is the speed the gateway measured in km/h (GNSS tags on
	// vehicles); nil when it sent none and the platform computes it.
	Speed *float64
}

// fixJSON is a fix on the wire: time as "yyyy-MM-dd HH:mm:ss" (Asia/Shanghai)
// or RFC 3339.
type fixJSON struct {
	Card  *string  `json:"card_no"`
	Time  *string  `json:"time"`
	X     *float64 `json:"x"`
	Y     *float64 `json:"y"`
	Floor *string  `json:"floor"`
	SOS   bool     `json:"sos"`
	Speed *float64 `json:"speed"`
}

// Validation rules of a fix beyond the exchange's.
const (
	RuleUnbound validate.Rule = "unbound_card"  // no person carries the tag
	RuleTooOld  validate.Rule = "too_old"       // older than the track retention
	RuleNoFloor validate.Rule = "unknown_floor" // no plan uploaded for the floor
)

// Result is the answer to a gateway's batch: how many fixes were kept and,
// for each refused one, why.
type Result struct {
	Accepted int                   `json:"accepted"`
	Rejected int                   `json:"rejected"`
	Errors   []validate.FieldError `json:"errors"`
	Alarms   int                   `json:"alarms_raised"`
}

func fixErr(i int, card, field string, rule validate.Rule, zh, en string) validate.FieldError {
	return validate.FieldError{Index: i, ID: card, Field: field, Rule: rule,
		MessageZH: fmt.Sprintf("第 %d 条定位数据：%s", i+1, zh), MessageEN: fmt.Sprintf("fix %d: %s", i+1, en)}
}

// DecodeFixes reads a gateway's JSON array of fixes. Each fix is checked on
// its own: the good ones are returned beside a bilingual error for each bad
// one (which fix, which field, which rule); a body that is not an array is
// one error for the whole batch.
func DecodeFixes(body []byte, now time.Time, maxBatch int) ([]Fix, []int, []validate.FieldError, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, nil, nil, &chemguard.Error{Code: chemguard.EInvalid, MessageZH: "请求体应为定位数据的 JSON 数组", MessageEN: "the body must be a JSON array of fixes"}
	}
	if len(raw) == 0 {
		return nil, nil, nil, &chemguard.Error{Code: chemguard.EInvalid, MessageZH: "定位数据为空", MessageEN: "the batch holds no fixes"}
	}
	if len(raw) > maxBatch {
		return nil, nil, nil, &chemguard.Error{Code: chemguard.EInvalid, MessageZH: fmt.Sprintf("一次最多上传 %d 条定位数据", maxBatch),
			MessageEN: fmt.Sprintf("at most %d fixes per request", maxBatch)}
	}
	var fixes []Fix
	var index []int
	var errs []validate.FieldError
	for i, r := range raw {
		var j fixJSON
		dec := json.NewDecoder(bytes.NewReader(r))
		if err := dec.Decode(&j); err != nil {
			errs = append(errs, fixErr(i, "", "", validate.RuleNotObject, "应为 JSON 对象，字段 card_no、time、x、y、floor、sos", "must be an object with card_no, time, x, y, floor, sos"))
			continue
		}
		card := ""
		if j.Card != nil {
			card = strings.TrimSpace(*j.Card)
		}
		bad := func(field string, rule validate.Rule, zh, en string) {
			errs = append(errs, fixErr(i, card, field, rule, zh, en))
		}
		switch {
		case card == "":
			bad("card_no", validate.RuleRequired, "卡号必填", "card_no is required")
			continue
		case utf8.RuneCountInString(card) > 36:
			bad("card_no", validate.RuleLength, "卡号不超过 36 个字符", "card_no is at most 36 characters")
			continue
		}
		if j.Time == nil {
			bad("time", validate.RuleRequired, "定位时间必填", "time is required")
			continue
		}
		t, err := time.ParseInLocation(schemas.DateTimeLayout, *j.Time, schemas.Shanghai)
		if err != nil {
			if t, err = time.Parse(time.RFC3339Nano, *j.Time); err != nil {
				bad("time", validate.RuleDateTime, fmt.Sprintf("定位时间 %q 应为 yyyy-MM-dd HH:mm:ss 或 RFC 3339", *j.Time),
					fmt.Sprintf("time %q must be yyyy-MM-dd HH:mm:ss or RFC 3339", *j.Time))
				continue
			}
		}
		if t.After(now.Add(time.Minute)) {
			bad("time", validate.RuleFuture, fmt.Sprintf("定位时间 %s 晚于当前时间", t.In(schemas.Shanghai).Format(schemas.DateTimeLayout)),
				"time is in the future (the gateway's clock is ahead)")
			continue
		}
		if j.X == nil || j.Y == nil || math.IsNaN(*j.X) || math.IsNaN(*j.Y) || math.IsInf(*j.X, 0) || math.IsInf(*j.Y, 0) {
			bad("x", validate.RuleRequired, "坐标 x、y 必填且为数值（米）", "x and y are required numbers (metres)")
			continue
		}
		floor := ""
		if j.Floor != nil {
			floor = strings.TrimSpace(*j.Floor)
		}
		if floor == "" || utf8.RuneCountInString(floor) > 5 {
			bad("floor", validate.RuleLength, "楼层号必填，不超过 5 个字符", "floor is required, at most 5 characters")
			continue
		}
		if j.Speed != nil && (math.IsNaN(*j.Speed) || *j.Speed < 0 || *j.Speed > MaxSpeed) {
			bad("speed", validate.RuleRange, fmt.Sprintf("速度应为 0～%.0f km/h", MaxSpeed), fmt.Sprintf("speed must be 0-%.0f km/h", MaxSpeed))
			continue
		}
		fixes = append(fixes, Fix{Card: card, Time: t, X: *j.X, Y: *j.Y, Floor: floor, SOS: j.SOS, Speed: j.Speed})
		index = append(index, i)
	}
	return fixes, index, errs, nil
}

// carrier is who carries a tag now.
type carrier struct {
	personID, userID, workerID, post int64
	name, kind                       string
}

// Ingest keeps a gateway's fixes for company as tracks, moves the live map and
// raises the alarms they cause, in one transaction per batch. A fix from a tag
// no one carries, older than the retention or on a floor without a plan is
// refused on its own; the others are kept.
func (s *Service) Ingest(ctx context.Context, company string, body []byte) (Result, error) {
	now := s.cfg.Now()
	fixes, index, errs, err := DecodeFixes(body, now, s.cfg.MaxBatch)
	if err != nil {
		return Result{}, err
	}
	res := Result{Errors: errs}
	var raised []alarmRow
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('positioning:' || $1))`, company); err != nil {
			return fmt.Errorf("positioning: lock: %w", err)
		}
		carriers, err := loadCarriers(ctx, tx, company)
		if err != nil {
			return err
		}
		floors := map[string]bool{}
		rows, err := tx.Query(ctx, `SELECT floor FROM pos_floors WHERE company = $1`, company)
		if err != nil {
			return fmt.Errorf("positioning: floors: %w", err)
		}
		fl, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("positioning: floors: %w", err)
		}
		for _, f := range fl {
			floors[f] = true
		}
		var kept []Fix
		for k, f := range fixes {
			i := index[k]
			switch _, ok := carriers[f.Card]; {
			case !ok:
				res.Errors = append(res.Errors, fixErr(i, f.Card, "card_no", RuleUnbound, fmt.Sprintf("卡号 %s 未绑定人员，请先在“人员与定位卡”中绑定", f.Card),
					fmt.Sprintf("tag %s is not bound to anyone", f.Card)))
			case now.Sub(f.Time) > s.cfg.Retention:
				res.Errors = append(res.Errors, fixErr(i, f.Card, "time", RuleTooOld, "定位时间早于轨迹保存期限", "the fix is older than the track retention"))
			case !floors[f.Floor]:
				res.Errors = append(res.Errors, fixErr(i, f.Card, "floor", RuleNoFloor, fmt.Sprintf("楼层 %s 尚无平面图", f.Floor),
					fmt.Sprintf("floor %s has no plan", f.Floor)))
			default:
				kept = append(kept, f)
			}
		}
		sort.SliceStable(kept, func(i, j int) bool { return kept[i].Time.Before(kept[j].Time) })
		batch := &pgx.Batch{}
		for _, f := range kept {
			batch.Queue(`INSERT INTO pos_fixes (company, card_no, fix_time, x, y, floor, person_id, sos, received_at, speed_kmh) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				ON CONFLICT DO NOTHING`, company, f.Card, f.Time, f.X, f.Y, f.Floor, carriers[f.Card].personID, f.SOS, now, f.Speed)
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("positioning: keep fixes: %w", err)
		}
		res.Accepted = len(kept)
		fs, err := fences(ctx, tx, company)
		if err != nil {
			return err
		}
		last, err := loadLast(ctx, tx, company)
		if err != nil {
			return err
		}
		var sos []string
		for _, f := range kept {
			prev := last[f.Card]
			if prev != nil && !f.Time.After(prev.FixTime) {
				continue // a late fix is track, not news
			}
			p := &Person{Card: f.Card, Floor: f.Floor, At: Point{X: f.X, Y: f.Y}, FixTime: f.Time}
			p.StillSince, p.Entered = Track(prev, f.Floor, p.At, f.Time, fs)
			p.Speed, p.SpeedKnown, p.Anchor = Velocity(prev, f.Floor, p.At, f.Time, f.Speed)
			last[f.Card] = p
			if f.SOS {
				sos = append(sos, f.Card)
			}
			if err := saveLast(ctx, tx, company, p); err != nil {
				return err
			}
		}
		raised, err = s.evaluate(ctx, tx, company, now, fs, carriers, last, sos)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	res.Rejected = len(res.Errors)
	res.Alarms = len(raised)
	s.announce(ctx, company, raised)
	s.live.changed(company)
	return res, nil
}

func loadCarriers(ctx context.Context, q Querier, company string) (map[string]carrier, error) {
	rows, err := q.Query(ctx, `SELECT t.card_no, p.id, coalesce(p.user_id, 0), coalesce(p.worker_id, 0), coalesce(p.post_fence_id, 0), p.name, p.kind
		FROM pos_tags t JOIN pos_people p ON p.id = t.person_id WHERE t.company = $1 AND t.unbound_at IS NULL AND p.deleted_at IS NULL`, company)
	if err != nil {
		return nil, fmt.Errorf("positioning: carriers: %w", err)
	}
	defer rows.Close()
	out := map[string]carrier{}
	for rows.Next() {
		var card string
		var c carrier
		if err := rows.Scan(&card, &c.personID, &c.userID, &c.workerID, &c.post, &c.name, &c.kind); err != nil {
			return nil, fmt.Errorf("positioning: carriers: %w", err)
		}
		out[card] = c
	}
	return out, rows.Err()
}

func loadLast(ctx context.Context, q Querier, company string) (map[string]*Person, error) {
	rows, err := q.Query(ctx, `SELECT card_no, fix_time, x, y, floor, still_since, entered, speed_kmh, anchor_floor, anchor_x, anchor_y, anchor_time
		FROM pos_last WHERE company = $1`, company)
	if err != nil {
		return nil, fmt.Errorf("positioning: last fixes: %w", err)
	}
	defer rows.Close()
	out := map[string]*Person{}
	for rows.Next() {
		p := &Person{}
		var entered map[string]time.Time
		var speed *float64
		var anchorTime *time.Time
		if err := rows.Scan(&p.Card, &p.FixTime, &p.At.X, &p.At.Y, &p.Floor, &p.StillSince, &entered, &speed,
			&p.Anchor.Floor, &p.Anchor.At.X, &p.Anchor.At.Y, &anchorTime); err != nil {
			return nil, fmt.Errorf("positioning: last fixes: %w", err)
		}
		if speed != nil {
			p.Speed, p.SpeedKnown = *speed, true
		}
		if anchorTime != nil {
			p.Anchor.Time = *anchorTime
		}
		p.Entered = map[int64]time.Time{}
		for k, v := range entered {
			var id int64
			fmt.Sscan(k, &id)
			p.Entered[id] = v
		}
		out[p.Card] = p
	}
	return out, rows.Err()
}

func saveLast(ctx context.Context, tx pgx.Tx, company string, p *Person) error {
	entered := map[string]time.Time{}
	for k, v := range p.Entered {
		entered[fmt.Sprint(k)] = v
	}
	var speed *float64
	if p.SpeedKnown {
		speed = &p.Speed
	}
	var anchorTime *time.Time
	if !p.Anchor.Time.IsZero() {
		anchorTime = &p.Anchor.Time
	}
	_, err := tx.Exec(ctx, `INSERT INTO pos_last (company, card_no, fix_time, x, y, floor, still_since, entered, speed_kmh, anchor_floor, anchor_x, anchor_y, anchor_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (company, card_no) DO UPDATE SET fix_time = excluded.fix_time, x = excluded.x, y = excluded.y, floor = excluded.floor,
			still_since = excluded.still_since, entered = excluded.entered, speed_kmh = excluded.speed_kmh, anchor_floor = excluded.anchor_floor,
			anchor_x = excluded.anchor_x, anchor_y = excluded.anchor_y, anchor_time = excluded.anchor_time`,
		company, p.Card, p.FixTime, p.At.X, p.At.Y, p.Floor, p.StillSince, entered, speed, p.Anchor.Floor, p.Anchor.At.X, p.Anchor.At.Y, anchorTime)
	if err != nil {
		return fmt.Errorf("positioning: last fix: %w", err)
	}
	return nil
}

// evaluate runs the rules over the company's people as they stand and
// reconciles the open alarms with the conditions found: a new condition
// raises an alarm (and stages its 表1), a condition no longer found ends its
// episode. An SOS ends only when it is handled. A suspended plant raises
// nothing.
func (s *Service) evaluate(ctx context.Context, tx pgx.Tx, company string, now time.Time, fs []Fence, carriers map[string]carrier,
	last map[string]*Person, sos []string) ([]alarmRow, error) {
	var suspended bool
	var speedLimit float64
	_ = tx.QueryRow(ctx, `SELECT suspended, speed_limit_kmh FROM pos_settings WHERE company = $1`, company).Scan(&suspended, &speedLimit)
	var conds []Condition
	if !suspended {
		var people []Person
		for card, p := range last {
			c, ok := carriers[card]
			if !ok {
				continue
			}
			q := *p
			q.Name, q.PersonID, q.UserID, q.WorkerID, q.PostFence = c.name, c.personID, c.userID, c.workerID, c.post
			q.Vehicle = c.kind == PersonVehicle
			people = append(people, q)
		}
		sort.Slice(people, func(i, j int) bool { return people[i].Card < people[j].Card })
		permits, err := s.cfg.Permits.UnderWay(ctx, tx, company, now)
		if err != nil {
			return nil, err
		}
		conds = Evaluate(now, fs, people, permits, sos)
		conds = append(conds, Speeding(now, fs, people, speedLimit)...)
	}
	open := map[string]bool{}
	rows, err := tx.Query(ctx, `SELECT key FROM pos_alarms WHERE company = $1 AND ended_at IS NULL`, company)
	if err != nil {
		return nil, fmt.Errorf("positioning: open alarms: %w", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("positioning: open alarms: %w", err)
	}
	for _, k := range keys {
		open[k] = true
	}
	holding := map[string]bool{}
	var raised []alarmRow
	for _, c := range conds {
		holding[c.Key] = true
		if open[c.Key] {
			continue
		}
		open[c.Key] = true
		a := alarmRow{ID: newUUID(), Key: c.Key, Type: c.Type, Card: c.Card, Name: c.Name, Info: c.Info, FenceID: c.FenceID,
			Location: c.Location, Floor: c.Floor, X: c.At.X, Y: c.At.Y, PermitID: c.PermitID, RaisedAt: now}
		if _, err := tx.Exec(ctx, `INSERT INTO pos_alarms (id, company, key, alarm_type, card_no, real_name, info, fence_id, location, floor, x, y, permit_id, raised_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, 0), $9, $10, $11, $12, nullif($13, '')::uuid, $14)`,
			a.ID, company, a.Key, a.Type, a.Card, a.Name, a.Info, a.FenceID, a.Location, a.Floor, a.X, a.Y, a.PermitID, a.RaisedAt); err != nil {
			return nil, fmt.Errorf("positioning: raise alarm: %w", err)
		}
		if err := s.pub.Stage(ctx, tx, schemas.PositioningAlarms.Slug, company, a.record(company)); err != nil {
			return nil, err
		}
		raised = append(raised, a)
	}
	for k := range open {
		if !holding[k] && !strings.HasPrefix(k, AlarmSOS+"/") {
			if _, err := tx.Exec(ctx, `UPDATE pos_alarms SET ended_at = $3 WHERE company = $1 AND key = $2 AND ended_at IS NULL`, company, k, now); err != nil {
				return nil, fmt.Errorf("positioning: end alarm: %w", err)
			}
		}
	}
	return raised, nil
}

// Sweep re-evaluates every company with fences at now: 滞留, 静止 and 缺员
// happen while no fix arrives (a person standing still sends the same
// position, and a control room left empty sends nothing).
func (s *Service) Sweep(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT company FROM pos_fences WHERE deleted_at IS NULL`)
	if err != nil {
		return fmt.Errorf("positioning: sweep: %w", err)
	}
	companies, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("positioning: sweep: %w", err)
	}
	for _, company := range companies {
		var raised []alarmRow
		now := s.cfg.Now()
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('positioning:' || $1))`, company); err != nil {
				return fmt.Errorf("positioning: lock: %w", err)
			}
			fs, err := fences(ctx, tx, company)
			if err != nil {
				return err
			}
			carriers, err := loadCarriers(ctx, tx, company)
			if err != nil {
				return err
			}
			last, err := loadLast(ctx, tx, company)
			if err != nil {
				return err
			}
			raised, err = s.evaluate(ctx, tx, company, now, fs, carriers, last, nil)
			return err
		})
		if err != nil {
			return err
		}
		if len(raised) > 0 {
			s.announce(ctx, company, raised)
			s.live.changed(company)
		}
	}
	return nil
}

// Purge deletes the fixes older than the retention window: the tracks the
// guide asks to keep (≥ 30 days) and no more. It returns how many went.
func (s *Service) Purge(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM pos_fixes WHERE fix_time < $1`, s.cfg.Now().Add(-s.cfg.Retention))
	if err != nil {
		return 0, fmt.Errorf("positioning: purge: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Run sweeps every every and purges expired tracks hourly until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration, onErr func(error)) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var purged time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			onErr(err)
		}
		if now := s.cfg.Now(); now.Sub(purged) >= time.Hour {
			if _, err := s.Purge(ctx); err != nil && ctx.Err() == nil {
				onErr(err)
			} else {
				purged = now
			}
		}
	}
}

// permitTables is WorkPermits over the permit module's table: permits being
// worked (作业中) name their place, guardian and workers.
type permitTables struct{}

func (permitTables) UnderWay(ctx context.Context, q Querier, company string, at time.Time) ([]WorkPermit, error) {
	rows, err := q.Query(ctx, `SELECT id::text, number, place, coalesce(guardian_id, 0), guardian_name, workers FROM permits
		WHERE company = $1 AND status = 'working' AND (valid_until IS NULL OR valid_until > $2)`, company, at)
	if err != nil {
		return nil, fmt.Errorf("positioning: permits under way: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (WorkPermit, error) {
		var w WorkPermit
		return w, r.Scan(&w.ID, &w.Number, &w.Place, &w.GuardianID, &w.Guardian, &w.WorkerIDs)
	})
}
