package warning

// The Chinese names a regulator reads, shared by the portal and the notifiers.

// NameZH returns the disposal step as a regulator reads it, e.g. 已发布，待企业签收.
func (s Step) NameZH() string {
	if n, ok := map[Step]string{StepPublished: "已发布，待企业签收", StepAcknowledged: "企业已签收，待反馈",
		StepFedBack: "已反馈，待核查", StepVerified: "已核查，待解除或降级", StepClosed: "解除",
		StepDowngraded: "降级", StepFalseAlarm: "误报", StepLapsed: "风险消除，自动归档"}[s]; ok {
		return n
	}
	return string(s)
}

// NameZH returns the tier: 县级, 市级 or 省级.
func (t Tier) NameZH() string {
	if n, ok := map[Tier]string{TierCounty: "县级", TierCity: "市级", TierProvince: "省级"}[t]; ok {
		return n
	}
	return string(t)
}

// ModelNameZH names a risk model (ModelEnterprise, ModelWarehouse, ModelLeak).
func ModelNameZH(model string) string {
	if n, ok := map[string]string{ModelEnterprise: "企业综合风险", ModelWarehouse: "仓库储存风险", ModelLeak: "泄漏风险", ModelViolation: "违规行为"}[model]; ok {
		return n
	}
	return model
}

// NameZH returns what happened, e.g. 预警发布, 逾期上报; reminders (which are not an
// engine change) are named by the caller.
func (k ChangeKind) NameZH() string {
	if n, ok := map[ChangeKind]string{AlarmRaised: "报警", AlarmChanged: "报警等级变化", AlarmCleared: "销警",
		WarningRaised: "预警发布", WarningEscalated: "预警升级", WarningLowered: "预警降级",
		WarningCleared: "预警条件消除", WarningSettled: "处置终结", DisposalActed: "处置",
		DisposalEscalated: "逾期上报", DisposalOverdue: "省级逾期"}[k]; ok {
		return n
	}
	return string(k)
}

// NameZH returns who acted: 企业, or the regulator's tier 县级, 市级 or 省级.
func (r Role) NameZH() string {
	if r == RoleCompany {
		return "企业"
	}
	return Tier(r).NameZH()
}

// NameZH names a disposal action: 签收, 处置反馈, 核查, 解除, 降级 or 误报.
func (k ActionKind) NameZH() string {
	if n, ok := map[ActionKind]string{ActAcknowledge: "签收", ActFeedback: "处置反馈", ActVerify: "核查",
		ActClose: "解除", ActDowngrade: "降级", ActFalseAlarm: "误报"}[k]; ok {
		return n
	}
	return string(k)
}
