package portal

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/audit"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/queryparam"
	"github.com/shandong-emergency/chemguard/schemas"
)

// auditActions are the recorded actions the 审计 page's filter offers, with
// their Chinese names.
var auditActions = []roleOption{
	{audit.ActionLogin, "登录"}, {audit.ActionLoginFailed, "登录失败"}, {audit.ActionLockout, "账号锁定"},
	{audit.ActionLogout, "退出登录"}, {audit.ActionDeny, "越权访问被拒"}, {audit.ActionUserCreate, "创建账号"},
	{audit.ActionUserUnlock, "解锁账号"}, {audit.ActionPasswordReset, "重置密码"}, {audit.ActionGrant, "授予角色"},
	{audit.ActionRevoke, "撤销角色"}, {audit.ActionPolicy, "修改权限策略"}, {audit.ActionTOTP, "绑定动态口令"},
	{audit.ActionAuditRead, "查阅审计日志"}, {audit.ActionAuditExport, "导出审计日志"},
	{"park.add", "登记化工园区"}, {"enterprise.register", "登记企业"}, {"enterprise.key_rotate", "轮换企业密钥"},
	{"enterprise.keys_revoke", "吊销企业密钥"}, {"warning_action", "预警处置操作"}, {audit.ActionDataChange, "数据变更"},
}

// auditFilter is the 审计 page's query: days in Shanghai time, inclusive.
type auditFilter struct {
	Actor  string `json:"actor,omitempty"`
	Action string `json:"action,omitempty"`
	Result string `json:"result,omitempty"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Before int64  `json:"before,omitempty"`
}

// filter turns the page's query into the audit package's filter.
func (f auditFilter) filter() (audit.Filter, error) {
	af := audit.Filter{Actor: f.Actor, Action: f.Action, Result: f.Result, BeforeSeq: f.Before, Newest: true}
	for _, d := range []struct {
		name, param, value string
		dst                *time.Time
		add                int
	}{{"起始日期", "from", f.From, &af.From, 0}, {"截止日期", "to", f.To, &af.To, 1}} {
		if d.value == "" {
			continue
		}
		t, err := time.ParseInLocation(schemas.DateLayout, d.value, schemas.Shanghai)
		if err != nil {
			return af, &chemguard.Error{Code: chemguard.EInvalid, MessageZH: d.name + "应为 yyyy-MM-dd 格式的日期",
				MessageEN: d.param + " must be a yyyy-MM-dd date"}
		}
		*d.dst = t.AddDate(0, 0, d.add)
	}
	if f.Result != "" && f.Result != audit.ResultOK && f.Result != audit.ResultFailed && f.Result != audit.ResultDenied {
		return af, chemguard.Errorf(chemguard.EInvalid, "结果须为成功、失败或拒绝", "result must be ok, failed or denied")
	}
	return af, nil
}

// query is the filter as URL parameters, without the page position.
func (f auditFilter) query() url.Values {
	return url.Values{"actor": {f.Actor}, "action": {f.Action}, "result": {f.Result}, "from": {f.From}, "to": {f.To}}
}

type auditPageData struct {
	Filter    auditFilter
	Actions   []roleOption
	Records   []audit.Record
	NextURL   string // older records
	FirstURL  string // back to the newest
	ExportURL string // the audit API's NDJSON export of the same filter
	CanExport bool
	Verified  *audit.Verification
}

// ResultZH names an audit result.
func resultZH(r string) string {
	switch r {
	case audit.ResultOK:
		return "成功"
	case audit.ResultFailed:
		return "失败"
	case audit.ResultDenied:
		return "拒绝"
	}
	return r
}

func actionZH(a string) string {
	for _, o := range auditActions {
		if o.Code == a {
			return o.Label
		}
	}
	return a
}

func (p *Portal) auditPage(c *fiber.Ctx) error {
	return p.renderAudit(c, nil)
}

// auditVerify recomputes the hash chain and shows the result above the list.
func (p *Portal) auditVerify(c *fiber.Ctx) error {
	if err := p.requireAdmin(c, policy.ObjAudit, policy.ActRead); err != nil {
		return err
	}
	v, err := p.admin.Audit.Verify(c.UserContext())
	if err != nil {
		return err
	}
	return p.renderAudit(c, &v)
}

func (p *Portal) renderAudit(c *fiber.Ctx, v *audit.Verification) error {
	if err := p.requireAdmin(c, policy.ObjAudit, policy.ActRead); err != nil {
		return err
	}
	f := auditFilter{Actor: strings.TrimSpace(c.Query("actor")), Action: c.Query("action"), Result: c.Query("result"),
		From: c.Query("from"), To: c.Query("to")}
	before, err := queryparam.Int64(c, "before", 0)
	if err != nil {
		return err
	}
	f.Before = before
	af, err := f.filter()
	if err != nil {
		return err
	}
	af.Limit = p.cfg.PageSize
	recs, err := p.admin.Audit.List(c.UserContext(), af)
	if err != nil {
		return err
	}
	// Reading the log is itself recorded, as through the audit API.
	ev := p.admin.Ops.Actor(c)
	ev.Action, ev.Object, ev.Result, ev.Detail = audit.ActionAuditRead, "audit_log", audit.ResultOK, f
	if err := p.admin.Audit.Record(c.UserContext(), ev); err != nil {
		return err
	}
	page := auditPageData{Filter: f, Actions: auditActions, Records: recs, Verified: v,
		CanExport: p.admin.Ops.Can(c, policy.ObjAudit, policy.ActExport)}
	q := f.query()
	clean := url.Values{}
	for k, vs := range q {
		if vs[0] != "" {
			clean.Set(k, vs[0])
		}
	}
	if len(recs) == p.cfg.PageSize {
		older := url.Values{}
		for k, vs := range clean {
			older[k] = vs
		}
		older.Set("before", strconv.FormatInt(recs[len(recs)-1].Seq, 10))
		page.NextURL = Prefix + "/audit?" + older.Encode()
	}
	if f.Before != 0 {
		page.FirstURL = Prefix + "/audit?" + clean.Encode()
	}
	export := url.Values{}
	for _, k := range []string{"actor", "action", "result"} {
		if clean.Get(k) != "" {
			export.Set(k, clean.Get(k))
		}
	}
	if !af.From.IsZero() {
		export.Set("from", af.From.Format(time.RFC3339))
	}
	if !af.To.IsZero() {
		export.Set("to", af.To.Format(time.RFC3339))
	}
	page.ExportURL = "/api/v1/audit/export?" + export.Encode()
	return p.render(c, "audit", "审计日志", "audit", page)
}
