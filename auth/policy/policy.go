// Package policy decides who may do what where: the portal's roles and their
// Chinese labels, the casbin model and its PostgreSQL-backed rules, the 三员分立
// separation of the three administrator roles fixed in code, and which role may
// be granted in which domain. The domains themselves (divisions, parks,
// enterprises and their resource paths) are package tiers.
package policy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Objects and actions of the default policy. A request names one object and one
// action; the policy says which roles may do it, the domain says where.
const (
	ObjData       = "data"       // an enterprise's exchange records and profile
	ObjWarning    = "warning"    // 预警 of an enterprise or region
	ObjInspection = "inspection" // 巡查/抽查/检查督导 records
	ObjShare      = "share"      // the data-sharing feed
	ObjEnterprise = "enterprise" // the registry of enterprises (registration)
	ObjSystem     = "system"     // operating the platform
	ObjUser       = "user"       // accounts and role grants
	ObjPolicy     = "policy"     // permissions and second-factor marks
	ObjAudit      = "audit"      // the audit log
	ObjMFA        = "mfa"        // p, ROLE, mfa, required: the role needs TOTP

	ActRead     = "read"
	ActWrite    = "write"
	ActHandle   = "handle"   // 签收/反馈/核查 a warning
	ActApprove  = "approve"  // 解除/降级 a warning
	ActExport   = "export"   // export the audit log
	ActRegister = "register" // register an enterprise
	ActOperate  = "operate"  // operate the system
	ActRequired = "required" // with ObjMFA
)

// Objects are the objects a permission may name, in a fixed order: the casbin
// model has one policy type per object (p for the first, p2 for the second, …),
// so a check evaluates only the few lines of its own object rather than the
// whole policy (this keeps a check well under 20 µs with a province's policy).
var Objects = []string{ObjData, ObjWarning, ObjInspection, ObjShare, ObjEnterprise, ObjSystem,
	ObjUser, ObjPolicy, ObjAudit, ObjMFA}

// objectTypes maps an object to its casbin section suffix ("" for the first).
var objectTypes = func() map[string]string {
	m := map[string]string{}
	for i, o := range Objects {
		if i == 0 {
			m[o] = ""
		} else {
			m[o] = strconv.Itoa(i + 1)
		}
	}
	return m
}()

// casbinModel is RBAC with domains plus the region hierarchy: a subject has a
// role in a domain (g), a role may do an action on an object (p, one section per
// object), and the resource's path must pass through the subject's domain
// (within). The cheap comparison comes first so most lines are rejected without
// a role lookup.
var casbinModel = func() string {
	var req, pol, eff, mat strings.Builder
	for _, o := range Objects {
		n := objectTypes[o]
		fmt.Fprintf(&req, "r%s = sub, dom, act, res\n", n)
		fmt.Fprintf(&pol, "p%s = sub, act\n", n)
		fmt.Fprintf(&eff, "e%s = some(where (p.eft == allow))\n", n)
		fmt.Fprintf(&mat, "m%s = r%s.act == p%s.act && g(r%s.sub, p%s.sub, r%s.dom) && within(r%s.dom, r%s.res)\n", n, n, n, n, n, n, n, n)
	}
	return "[request_definition]\n" + req.String() + "\n[policy_definition]\n" + pol.String() +
		"\n[role_definition]\ng = _, _, _\n\n[policy_effect]\n" + eff.String() + "\n[matchers]\n" + mat.String()
}()

// enforceContexts holds the casbin context of each object's section.
var enforceContexts = func() map[string]casbin.EnforceContext {
	m := map[string]casbin.EnforceContext{}
	for o, n := range objectTypes {
		m[o] = casbin.EnforceContext{RType: "r" + n, PType: "p" + n, EType: "e" + n, MType: "m" + n}
	}
	return m
}()

// Rule is one stored casbin rule: PType "p" with V = [subject, object, action],
// or "g" with V = [subject, role, domain].
type Rule struct {
	PType string
	V     []string
}

// Permission returns the rule "p, sub, obj, act".
func Permission(sub, obj, act string) Rule { return Rule{PType: "p", V: []string{sub, obj, act}} }

// Grant returns the rule "g, sub, role, domain".
func Grant(sub string, role Role, domain string) Rule {
	return Rule{PType: "g", V: []string{sub, string(role), domain}}
}

// UserSubject is the casbin subject of the user with the given ID.
func UserSubject(id int64) string { return "u:" + strconv.FormatInt(id, 10) }

// PolicyStore keeps the rules. Rules returns the active rules and the version
// they are at; Version the current version (it changes on every Add or Remove, by
// any process). Add reports a *chemguard.Error conflict for an active duplicate;
// Remove marks a rule removed (nothing is deleted) and reports whether one was.
type PolicyStore interface {
	Rules(ctx context.Context) ([]Rule, int64, error)
	Version(ctx context.Context) (int64, error)
	Add(ctx context.Context, r Rule, actor string) error
	Remove(ctx context.Context, r Rule, actor string) (bool, error)
}

// Authorizer answers authorization questions from the casbin policy held in a
// PolicyStore. Checks read an immutable snapshot and never touch the database;
// changes made through the Authorizer apply at once in this process, and
// changes made elsewhere (another process, SQL) within one Watch interval. It is
// safe for concurrent use.
type Authorizer struct {
	store PolicyStore
	snap  atomic.Pointer[snapshot]
}

type snapshot struct {
	enf     *Enforcer
	version int64
}

// NewAuthorizer loads the policy from store.
func NewAuthorizer(ctx context.Context, store PolicyStore) (*Authorizer, error) {
	a := &Authorizer{store: store}
	if err := a.load(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// Enforcer is the casbin enforcer of the platform's model over a fixed rule set;
// it is safe for concurrent use. Authorizer holds one per policy version.
type Enforcer struct {
	e *casbin.SyncedEnforcer
}

// NewEnforcer builds an Enforcer over rules. Permissions naming an object not in
// Objects are skipped with a logged warning.
func NewEnforcer(rules []Rule) (*Enforcer, error) {
	m, err := model.NewModelFromString(casbinModel)
	if err != nil {
		return nil, fmt.Errorf("tiers: policy model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m, rulesAdapter(effectiveRules(rules)))
	if err != nil {
		return nil, fmt.Errorf("tiers: policy: %w", err)
	}
	e.EnableAutoSave(false)
	e.AddFunction("within", func(args ...any) (any, error) {
		if len(args) != 2 {
			return false, errors.New("within: want 2 arguments")
		}
		dom, _ := args[0].(string)
		res, _ := args[1].(string)
		return tiers.Within(dom, res), nil
	})
	return &Enforcer{e: e}, nil
}

// Allowed reports whether sub, acting in its domain dom, may do act on obj of
// the resource at path res. An unknown object is never allowed.
func (e *Enforcer) Allowed(sub, dom, obj, act, res string) (bool, error) {
	ctx, ok := enforceContexts[obj]
	if !ok {
		return false, nil
	}
	// The matcher is a conjunction with within(r.dom, r.res), which does not
	// depend on the policy line: when it is false no line can match, so the
	// answer is known without evaluating the policy.
	if !tiers.Within(dom, res) {
		return false, nil
	}
	return e.e.Enforce(ctx, sub, dom, act, res)
}

func (a *Authorizer) load(ctx context.Context) error {
	rules, version, err := a.store.Rules(ctx)
	if err != nil {
		return fmt.Errorf("tiers: load policy: %w", err)
	}
	e, err := NewEnforcer(rules)
	if err != nil {
		return err
	}
	a.snap.Store(&snapshot{enf: e, version: version})
	return nil
}

// Reload loads the policy again if its stored version changed and reports
// whether it did.
func (a *Authorizer) Reload(ctx context.Context) (bool, error) {
	v, err := a.store.Version(ctx)
	if err != nil {
		return false, fmt.Errorf("tiers: policy version: %w", err)
	}
	if v == a.snap.Load().version {
		return false, nil
	}
	return true, a.load(ctx)
}

// Watch reloads the policy every interval until ctx ends, so changes made by
// another process take effect without a restart. Errors are logged.
func (a *Authorizer) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := a.Reload(ctx); err != nil && ctx.Err() == nil {
				slog.Error("policy reload failed", "err", err)
			}
		}
	}
}

// Allowed reports whether subject sub, acting in its domain dom, may do act on
// obj of the resource at path res (EnterprisePath, RegionPath, or "" for a
// resource of no region).
func (a *Authorizer) Allowed(sub, dom, obj, act, res string) bool {
	ok, err := a.snap.Load().enf.Allowed(sub, dom, obj, act, res)
	if err != nil {
		slog.Error("policy check failed", "err", err)
		return false
	}
	return ok
}

// RolesOf returns the roles sub holds in dom.
func (a *Authorizer) RolesOf(sub, dom string) []Role {
	names, _ := a.snap.Load().enf.e.GetRolesForUser(sub, dom)
	out := make([]Role, 0, len(names))
	for _, n := range names {
		out = append(out, Role(n))
	}
	return out
}

// Grants returns every role grant of sub, in any domain, as [role, domain] pairs.
func (a *Authorizer) Grants(sub string) [][2]string {
	rows, _ := a.snap.Load().enf.e.GetFilteredGroupingPolicy(0, sub)
	out := make([][2]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, [2]string{r[1], r[2]})
	}
	return out
}

// MFARequired reports whether any of roles needs a second factor: the three
// administrator roles always, others when the policy marks them
// ("p, ROLE, mfa, required").
func (a *Authorizer) MFARequired(roles []Role) bool {
	enf := a.snap.Load().enf.e
	for _, r := range roles {
		if r.AlwaysRequiresTOTP() {
			return true
		}
		if ok, _ := enf.HasNamedPolicy("p"+objectTypes[ObjMFA], string(r), ActRequired); ok {
			return true
		}
	}
	return false
}

// Policy returns the active rules of the loaded snapshot: permissions ("p") and
// grants ("g").
func (a *Authorizer) Policy() []Rule {
	enf := a.snap.Load().enf.e
	var out []Rule
	for _, o := range Objects {
		ps, _ := enf.GetNamedPolicy("p" + objectTypes[o])
		for _, p := range ps {
			out = append(out, Permission(p[0], o, p[1]))
		}
	}
	gs, _ := enf.GetGroupingPolicy()
	for _, g := range gs {
		out = append(out, Rule{PType: "g", V: g})
	}
	return out
}

// GrantRole gives sub the role in domain. It refuses (wrapping ErrSeparation) a
// second separated administrator role and a role in the wrong kind of domain.
func (a *Authorizer) GrantRole(ctx context.Context, sub string, role Role, domain, actor string) error {
	if err := CheckGrant(role, domain); err != nil {
		return err
	}
	var held []Role
	for _, g := range a.Grants(sub) {
		held = append(held, Role(g[0]))
	}
	if err := CheckSeparation(held, role); err != nil {
		return err
	}
	return a.change(ctx, func() error { return a.store.Add(ctx, Grant(sub, role, domain), actor) })
}

// RevokeRole takes the role in domain from sub and reports whether sub had it.
func (a *Authorizer) RevokeRole(ctx context.Context, sub string, role Role, domain, actor string) (bool, error) {
	var had bool
	err := a.change(ctx, func() (err error) {
		had, err = a.store.Remove(ctx, Grant(sub, role, domain), actor)
		return err
	})
	return had, err
}

// AddPermission lets the business role sub do act on obj. CheckPolicyEdit's
// refusals (the administrators' fixed permissions, administrative objects,
// non-role subjects) are returned as they are.
func (a *Authorizer) AddPermission(ctx context.Context, sub, obj, act, actor string) error {
	if err := CheckPolicyEdit(sub, obj, act); err != nil {
		return err
	}
	return a.change(ctx, func() error { return a.store.Add(ctx, Permission(sub, obj, act), actor) })
}

// RemovePermission withdraws a business permission (as AddPermission checks)
// and reports whether it existed.
func (a *Authorizer) RemovePermission(ctx context.Context, sub, obj, act, actor string) (bool, error) {
	if err := CheckPolicyEdit(sub, obj, act); err != nil {
		return false, err
	}
	var had bool
	err := a.change(ctx, func() (err error) {
		had, err = a.store.Remove(ctx, Permission(sub, obj, act), actor)
		return err
	})
	return had, err
}

func (a *Authorizer) change(ctx context.Context, write func() error) error {
	if err := write(); err != nil {
		return err
	}
	return a.load(ctx)
}

// effectiveRules is the policy that takes effect from the stored rules: the
// grants, the stored permissions that storedRuleApplies lets through, and
// FixedPolicy. Rows that try to speak for the administrators are dropped
// whoever wrote them (an older seed, SQL), so their permissions are exactly
// FixedPolicy's.
func effectiveRules(stored []Rule) []Rule {
	out := make([]Rule, 0, len(stored)+len(FixedPolicy()))
	for _, r := range stored {
		if r.PType == "p" && (len(r.V) != 3 || !storedRuleApplies(r.V[0], r.V[1])) {
			continue
		}
		out = append(out, r)
	}
	return append(out, FixedPolicy()...)
}

// rulesAdapter feeds a fixed rule set to casbin; the enforcer never writes
// through it (auto-save is off; changes go through the PolicyStore).
type rulesAdapter []Rule

var _ persist.Adapter = rulesAdapter(nil)

func (r rulesAdapter) LoadPolicy(m model.Model) error {
	for _, rule := range r {
		line := append([]string{rule.PType}, rule.V...)
		if rule.PType == "p" {
			n, ok := objectTypes[rule.V[1]]
			if !ok {
				slog.Warn("policy names an unknown object; rule skipped", "rule", rule.V)
				continue
			}
			line = []string{"p" + n, rule.V[0], rule.V[2]}
		}
		if err := persist.LoadPolicyArray(line, m); err != nil {
			return err
		}
	}
	return nil
}

var errReadOnly = errors.New("tiers: the casbin adapter is read-only; change policy through the Authorizer")

func (rulesAdapter) SavePolicy(model.Model) error                { return errReadOnly }
func (rulesAdapter) AddPolicy(string, string, []string) error    { return errReadOnly }
func (rulesAdapter) RemovePolicy(string, string, []string) error { return errReadOnly }
func (rulesAdapter) RemoveFilteredPolicy(string, string, int, ...string) error {
	return errReadOnly
}

// DefaultPolicy is the business permission set a new platform starts with
// (seeded once, then owned by the 安全管理员): what each business role may do.
// Where it may do it comes from the domain of its grant. The administrators'
// permissions are FixedPolicy, never stored.
func DefaultPolicy() []Rule {
	regulators := []Role{ProvinceLeader, ProvinceStaff, CityLeader, CityStaff, CountyLeader, CountyStaff, ParkLeader, ParkStaff}
	leaders := []Role{ProvinceLeader, CityLeader, CountyLeader, ParkLeader}
	staff := []Role{ProvinceStaff, CityStaff, CountyStaff, ParkStaff}
	var out []Rule
	add := func(rs []Role, obj, act string) {
		for _, r := range rs {
			out = append(out, Permission(string(r), obj, act))
		}
	}
	readers := append(append([]Role{}, regulators...), Inspector, EnterpriseAdmin, EnterpriseUser)
	add(readers, ObjData, ActRead)
	add(readers, ObjWarning, ActRead)
	add([]Role{EnterpriseAdmin, EnterpriseUser}, ObjData, ActWrite)
	// Inspectors verify on site (监管核查) from the mobile app's 预警处置; the engine
	// still keeps 签收 and 反馈 to the company and 解除/降级 to leaders.
	add(append(append([]Role{}, regulators...), Inspector, EnterpriseAdmin), ObjWarning, ActHandle)
	add(leaders, ObjWarning, ActApprove)
	add(append(append([]Role{}, staff...), Inspector), ObjInspection, ActWrite)
	add([]Role{ShareService}, ObjShare, ActRead)
	// Province-level accounts see the whole province: a second factor by
	// default (the 安全管理员 may mark more roles, or unmark these).
	add([]Role{ProvinceLeader, ProvinceStaff}, ObjMFA, ActRequired)
	return out
}
