package quality

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/tiers"
)

// RejectionRow is one exchange table and validation rule of a day (各表校验拒收情况):
// the table's records received (accepted and refused, every rule), those refused by
// the rule (a refused record counts under its first error's rule) and their share.
type RejectionRow struct {
	Table    string  `json:"table"`
	Rule     string  `json:"rule"`
	Received int64   `json:"received"`
	Rejected int64   `json:"rejected"`
	Share    float64 `json:"share"` // Rejected / Received
}

// RejectionsView is GET /governance/rejections.
type RejectionsView struct {
	Region  string         `json:"region,omitempty"`
	Company string         `json:"company_code,omitempty"`
	Day     string         `json:"day"`
	Rows    []RejectionRow `json:"rows"` // by table, then rule
}

// Rejections returns the rejected share of day per exchange table and rule over the
// companies of scope (company "": all of them), from the counts the governance
// consumer keeps (governance_record_counts, migration 00017), by table then rule.
// Only rules that refused something have a row. It does not authorize.
func (h *Handler) Rejections(ctx context.Context, scope tiers.Scope, company string, day time.Time) ([]RejectionRow, error) {
	w := &where{}
	w.scope(scope)
	w.add("rc.day = $?::date", dayString(day))
	if company != "" {
		w.add("rc.company_code = $?", company)
	}
	rows, err := h.svc.pool.Query(ctx, `WITH c AS (
			SELECT rc.table_name, rc.rule, sum(rc.records)::bigint AS n
			FROM governance_record_counts rc JOIN enterprises e ON e.code = rc.company_code
			WHERE `+w.sql()+` GROUP BY rc.table_name, rc.rule),
		t AS (SELECT table_name, sum(n)::bigint AS total FROM c GROUP BY table_name)
		SELECT c.table_name, c.rule, t.total, c.n FROM c JOIN t USING (table_name)
		WHERE c.rule <> '' ORDER BY c.table_name, c.rule`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("quality: rejections: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RejectionRow, error) {
		var v RejectionRow
		err := r.Scan(&v.Table, &v.Rule, &v.Received, &v.Rejected)
		if v.Received > 0 {
			v.Share = float64(v.Rejected) / float64(v.Received)
		}
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("quality: rejections: %w", err)
	}
	return nonNil(list), nil
}

// TopRejections is rows ordered by rejected share, highest first (then by count,
// table and rule), at most n of them.
func TopRejections(rows []RejectionRow, n int) []RejectionRow {
	out := append([]RejectionRow(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Share != b.Share {
			return a.Share > b.Share
		}
		if a.Rejected != b.Rejected {
			return a.Rejected > b.Rejected
		}
		return a.Table+"|"+a.Rule < b.Table+"|"+b.Rule
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// rejections serves GET /governance/rejections: company (a company code, which an
// enterprise account may pass for its own) or region, and day.
func (h *Handler) rejections(c *fiber.Ctx) error {
	v := RejectionsView{}
	var scope tiers.Scope
	if code := c.Query("company"); code != "" {
		if c.Query("region") != "" {
			return invalid("region 与 company 只能给出其一", "give either region or company, not both")
		}
		_, county, _, err := h.companyOf(c, code)
		if err != nil {
			return err
		}
		v.Company, scope = code, tiers.ScopeOf(county)
	} else {
		r, err := h.region(c, tiers.ObjData)
		if err != nil {
			return err
		}
		v.Region, scope = r.Code, r.Scope
	}
	day, err := h.day(c)
	if err != nil {
		return err
	}
	v.Day = dayString(day)
	if v.Rows, err = h.Rejections(c.UserContext(), scope, v.Company, day); err != nil {
		return err
	}
	return c.JSON(v)
}
