package governancesvc

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/validate"
)

// RejectionRow is one exchange table and validation rule of a day (各表校验拒收情况):
// the table's records received (accepted and refused, every rule), those refused by
// the rule (a refused record counts under its first error's rule) and their share.
type RejectionRow struct {
	Table    string  `json:"table"`
	TableZH  string  `json:"table_zh"` // the seed's name of the table
	Rule     string  `json:"rule"`     // a validate.Rule
	RuleZH   string  `json:"rule_zh"`
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
	return h.rejectionRows(ctx, h.svc.pool, scope, company, day)
}

func (h *Handler) rejectionRows(ctx context.Context, q querier, scope tiers.Scope, company string, day time.Time) ([]RejectionRow, error) {
	w := &readmodel.Where{}
	w.Scope(scope)
	w.Add("rc.day = $?::date", dayString(day))
	if company != "" {
		w.Add("rc.company_code = $?", company)
	}
	rows, err := q.Query(ctx, `WITH c AS (
			SELECT rc.table_name, rc.rule, sum(rc.records)::bigint AS n
			FROM governance_record_counts rc JOIN enterprises e ON e.code = rc.company_code
			WHERE `+w.SQL()+` GROUP BY rc.table_name, rc.rule),
		t AS (SELECT table_name, sum(n)::bigint AS total FROM c GROUP BY table_name)
		SELECT c.table_name, c.rule, t.total, c.n FROM c JOIN t USING (table_name)
		WHERE c.rule <> '' ORDER BY c.table_name, c.rule`, w.Args...)
	if err != nil {
		return nil, fmt.Errorf("quality: rejections: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RejectionRow, error) {
		var v RejectionRow
		err := r.Scan(&v.Table, &v.Rule, &v.Received, &v.Rejected)
		v.TableZH, v.RuleZH = v.Table, RuleNameZH(v.Rule)
		if t, ok := schemas.TableBySlug(v.Table); ok {
			v.TableZH = t.NameZH
		}
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

// ruleNames are the Chinese names of the validation rules (validate.Rule) a record
// is refused by.
var ruleNames = map[validate.Rule]string{
	validate.RuleMalformed: "不是 JSON", validate.RuleNotArray: "不是 JSON 数组", validate.RuleEmptyBatch: "空批次",
	validate.RuleTooMany: "批次记录过多", validate.RuleNotObject: "记录不是对象", validate.RuleRequired: "必填项缺失",
	validate.RuleRequiredWhen: "条件必填项缺失", validate.RuleType: "类型错误", validate.RuleLength: "超出数据长度",
	validate.RuleEncoding: "字符编码错误", validate.RuleUUID: "UUID 格式错误", validate.RuleCode: "不在代码表中",
	validate.RuleCodeParent: "分类不匹配", validate.RuleNumber: "不是数值", validate.RulePrecision: "精度超限",
	validate.RuleRange: "超出取值范围", validate.RuleDateTime: "时间格式错误", validate.RuleDate: "日期格式错误",
	validate.RuleFuture: "时间晚于当前", validate.RuleOrder: "结束早于开始", validate.RuleThresholdOrder: "阈值顺序错误",
	validate.RuleGB28181: "GB28181 编码错误", validate.RulePhone: "电话号码错误", validate.RuleMobile: "手机号码错误", validate.RuleBase64: "文件不是 Base64",
	validate.RuleFileFormat: "文件格式错误", validate.RuleFileSize: "文件过大", validate.RuleUnknownField: "未知字段",
	validate.RuleCompanyCode: "企业编码不符",
}

// RuleNameZH is the Chinese name of a validation rule followed by its code, or the
// code alone for a rule without one.
func RuleNameZH(rule string) string {
	if n, ok := ruleNames[validate.Rule(rule)]; ok {
		return n + "（" + rule + "）"
	}
	return rule
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
		r, err := h.region(c, policy.ObjData)
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
