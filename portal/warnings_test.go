package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/portal"
	"github.com/shandong-emergency/chemguard/tiers"
)

// leakWarning stores a leak warning as alerting's writer does (subject area/kind,
// subject_name "area gas", area the area alone) with a timeline acted on by the
// company and each tier, and returns a county regulator's browser and the ids.
func leakWarning(t *testing.T) (b *browser, id int64, company string) {
	e := start(t)
	company = e.company("370102001", "370102", "历下甲化工有限公司", "生产")
	e.user("lixia_staff", policy.CountyStaff, "370102")
	ctx := context.Background()
	require.NoError(t, e.App.Pool.QueryRow(ctx, `INSERT INTO warnings (warning_key, company_code, model, subject,
		subject_name, area, level, score, status, step, tier, config_version, raised_at, updated_at, factors, doc)
		VALUES ('test:leak', $1, 'leak', '罐区A/combustible', '罐区A 可燃气体', '罐区A', 'red', 91.5, 'open',
		'fed_back', 'county', 'test', now(), now(), '[]', '{}') RETURNING id`, company).Scan(&id))
	_, err := e.App.Pool.Exec(ctx, `INSERT INTO warning_events (warning_id, kind, at, level, step, tier, reason, actor_name, actor_role)
		VALUES ($1, 'warning_raised', now(), 'red', 'published', 'county', '发布', '', ''),
		($1, 'disposal_acted', now(), 'red', 'acknowledged', 'county', '签收', '企业值班员', 'company'),
		($1, 'disposal_acted', now(), 'red', 'verified', 'city', '核查', '县级核查员', 'county'),
		($1, 'disposal_acted', now(), 'red', 'verified', 'province', '核查', '市级核查员', 'city'),
		($1, 'disposal_acted', now(), 'red', 'verified', 'province', '核查', '省级核查员', 'province')`, id)
	require.NoError(t, err)
	return e.login("lixia_staff"), id, company
}

// A leak warning's subject name already names its area: 对象 shows it once.
func TestWarningSubjectNamesAreaOnce(t *testing.T) {
	b, id, company := leakWarning(t)
	w := b.Get(fmt.Sprintf("/portal/warnings/%d", id))
	require.Equal(t, http.StatusOK, w.Status, w.Body)
	m := regexp.MustCompile(`<dt>对象</dt><dd>([^<]*)</dd>`).FindStringSubmatch(w.Body)
	require.Len(t, m, 2, w.Body)
	assert.Equal(t, "罐区A 可燃气体", strings.TrimSpace(m[1]))
	list := b.Get("/portal/warnings")
	require.Equal(t, http.StatusOK, list.Status, list.Body)
	assert.Contains(t, list.Body, "<td>罐区A 可燃气体</td>")
	assert.Equal(t, 1, strings.Count(list.Body, "罐区A"), "the area once, in the subject name")
	page := b.Get("/portal/companies/" + company)
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	assert.Equal(t, 1, strings.Count(page.Body, "罐区A"), "the area once, in the subject name")
}

// The timeline names who acted in Chinese (企业, 县级, 市级, 省级), not by code.
func TestWarningTimelineActorRolesZH(t *testing.T) {
	b, id, _ := leakWarning(t)
	w := b.Get(fmt.Sprintf("/portal/warnings/%d", id))
	require.Equal(t, http.StatusOK, w.Status, w.Body)
	events := section(w.Body, `id="events"`)
	for _, want := range []string{"企业值班员（企业）", "县级核查员（县级）", "市级核查员（市级）", "省级核查员（省级）"} {
		assert.Contains(t, events, want)
	}
	for _, code := range []string{"company", "county", "city", "province"} {
		assert.NotContains(t, events, "（"+code+"）")
	}
}

// The 处置操作 form offers only what the caller may do at the warning's step: the
// company 签收 and 反馈, regulators 核查 and 误报 (of an orange or red warning only
// leaders), leaders 解除 and 降级; nothing, with what the disposal waits for,
// otherwise.
func TestWarningOffersOnlyTheCallersActions(t *testing.T) {
	e := start(t)
	company := e.company("370102001", "370102", "历下甲化工有限公司", "生产")
	e.user("ent_admin", policy.EnterpriseAdmin, tiers.EnterpriseDomain(company))
	e.user("lixia_staff", policy.CountyStaff, "370102")
	e.user("lixia_leader", policy.CountyLeader, "370102")
	var id int64
	ctx := context.Background()
	require.NoError(t, e.App.Pool.QueryRow(ctx, `INSERT INTO warnings (warning_key, company_code, model, subject,
		subject_name, level, score, status, step, tier, config_version, raised_at, updated_at, factors, doc)
		VALUES ('test:offer', $1, 'warehouse', 'W', '仓库', 'red', 91.5, 'open', 'published', 'county', 'test',
		now(), now(), '[]', '{}') RETURNING id`, company).Scan(&id))
	users := map[string]*browser{"staff": e.login("lixia_staff"), "leader": e.login("lixia_leader")}
	// The company is kept out of the portal: it is offered its actions on the
	// base system's page of the warning.
	assert.Equal(t, http.StatusForbidden, e.login("ent_admin").Get(fmt.Sprintf("/portal/warnings/%d", id)).Status)
	companyUI := enttest.Login(t, e.App.URL(), "ent_admin", testPassword)
	option := regexp.MustCompile(`<option value="([a-z_]+)">`)
	offered := func(who string) (actions []string, body string) {
		t.Helper()
		var status int
		if who == "company" {
			p := companyUI.Get(fmt.Sprintf("/e/warnings/%d", id))
			status, body = p.Status, p.Body
		} else {
			p := users[who].Get(fmt.Sprintf("/portal/warnings/%d", id))
			status, body = p.Status, p.Body
		}
		require.Equal(t, http.StatusOK, status, body)
		form := body
		if i := strings.Index(form, `id="action"`); i >= 0 {
			form = form[i:]
			form = form[:strings.Index(form, "</select>")]
			for _, m := range option.FindAllStringSubmatch(form, -1) {
				actions = append(actions, m[1])
			}
		}
		return actions, body
	}
	for _, tt := range []struct {
		step                   string
		company, staff, leader []string
		waiting                string
	}{
		// A red warning: 误报 is a leader's, like 解除 and 降级.
		{"published", []string{"acknowledge"}, nil, []string{"false_alarm"}, "等待企业签收"},
		{"acknowledged", []string{"feedback"}, nil, []string{"false_alarm"}, "等待企业处置反馈"},
		{"fed_back", nil, []string{"verify"}, []string{"verify", "false_alarm"}, "等待监管部门核查"},
		{"verified", nil, nil, []string{"close", "downgrade", "false_alarm"}, "等待监管部门领导解除或降级"},
	} {
		_, err := e.App.Pool.Exec(ctx, `UPDATE warnings SET step = $2 WHERE id = $1`, id, tt.step)
		require.NoError(t, err)
		for who, want := range map[string][]string{"company": tt.company, "staff": tt.staff, "leader": tt.leader} {
			got, body := offered(who)
			assert.Equal(t, want, got, "%s at %s", who, tt.step)
			waiting := tt.waiting
			if who == "company" { // the base system speaks to the company
				waiting = strings.Replace(waiting, "等待企业", "等待本企业", 1)
			}
			assert.Contains(t, body, waiting, "%s at %s", who, tt.step)
			if want == nil {
				assert.NotContains(t, body, `id="act-form"`)
				assert.Contains(t, body, `id="act-none"`)
			}
			assert.Equal(t, slices.Contains(want, "downgrade"), strings.Contains(body, `id="to_level"`), "%s at %s", who, tt.step)
		}
	}
	// Below orange any regulator may call it a 误报.
	_, err := e.App.Pool.Exec(ctx, `UPDATE warnings SET level = 'yellow', step = 'published' WHERE id = $1`, id)
	require.NoError(t, err)
	got, _ := offered("staff")
	assert.Equal(t, []string{"false_alarm"}, got, "staff at a yellow warning")
	_, err = e.App.Pool.Exec(ctx, `UPDATE warnings SET status = 'settled', step = 'closed' WHERE id = $1`, id)
	require.NoError(t, err)
	_, body := offered("leader")
	assert.NotContains(t, body, `id="act-form"`)
	assert.NotContains(t, body, `id="act-none"`, "a settled warning has no 处置操作 section")
}

// The Chinese UI speaks the seed's words, not the platform's identifiers: a factor
// counts detectors by their 指标名称 (not their codes), 数据质量 facts name their
// table and rules, and no footer shows an API route or a repository path.
func TestPagesNameItemsNotIdentifiers(t *testing.T) {
	r := newRegion(t)
	f := r.lixia1
	ctx := context.Background()
	var id int64
	require.NoError(t, r.App.Pool.QueryRow(ctx, `INSERT INTO warnings (warning_key, company_code, model, subject,
		subject_name, level, score, status, step, tier, config_version, raised_at, updated_at, factors, doc)
		VALUES ('test:names', $1, 'enterprise', '', '', 'yellow', 30, 'open', 'published', 'county', 'test', now(), now(),
		$2, '{}') RETURNING id`, f.Code,
		`[{"code":"alarm_high","name_zh":"高报/低报","count":1,"weight":4,"points":4,"detail":"`+f.Code+`-T01"}]`).Scan(&id))
	b := r.login("lixia_staff")
	w := b.Get(fmt.Sprintf("/portal/warnings/%d", id))
	require.Equal(t, http.StatusOK, w.Status, w.Body)
	assert.Contains(t, w.Body, "<td>"+f.Indicator+"</td>", "the detector by its name")
	assert.NotContains(t, w.Body, "<td>"+f.Code+"-T01</td>")
	assert.NotContains(t, w.Body, "/api/v1/warnings/{id}")
	assert.Regexp(t, `<dd id="score">30</dd>`, w.Body)

	// 企业一张图: the plant's schematic, the hazard source holding its indicator
	// (by name, linking to its trend), the cameras by place, the position.
	cp := b.Get("/portal/companies/" + f.Code)
	require.Equal(t, http.StatusOK, cp.Status, cp.Body)
	plan, _, ok := strings.Cut(cp.Body[strings.Index(cp.Body, `id="plan"`):], "</section>")
	require.True(t, ok)
	unit := plan[strings.Index(plan, f.Hazard):]
	assert.Regexp(t, `<a href="/portal/companies/`+f.Code+`/indicators/`+f.Code+`-T01">`+f.Indicator+`</a>`, unit)
	assert.Contains(t, plan, "视频监控点位")
	assert.Contains(t, plan, "东经")
	assert.Regexp(t, `<td>(高报 [0-9.]+；高高报 [0-9.]+|未设)</td>`, cp.Body, "thresholds by name")

	q := b.Get("/portal/quality")
	require.Equal(t, http.StatusOK, q.Status, q.Body)
	assert.NotContains(t, q.Body, "docs/governance.md")
}

func TestIdentifiersInWordsZH(t *testing.T) {
	for in, want := range map[string]string{
		"sensor-readings/2026-12-05": "感知数据 2026-12-05",
		"hot_work/2026-12-05":        "动火作业 2026-12-05",
		"370102001-T01":              "370102001-T01",
	} {
		assert.Equal(t, want, portal.SubjectZH(in))
	}
	assert.Equal(t, "感知数据 当日拒收 31 / 100 条（31.0%）： 时间格式错误 13",
		portal.PlainZH("sensor-readings 当日拒收 31 / 100 条（31.0%）： datetime 13"))
}
