package warning

// ChangeKind names what happened, from a fixed set (usable as a metric label).
type ChangeKind string

// The kinds of change the engine reports.
const (
	AlarmRaised  ChangeKind = "alarm_raised"  // 报警
	AlarmChanged ChangeKind = "alarm_changed" // 高报 ↔ 高高报
	AlarmCleared ChangeKind = "alarm_cleared" // 销警

	WarningRaised    ChangeKind = "warning_raised"    // 预警发布
	WarningEscalated ChangeKind = "warning_escalated" // 预警等级升高
	WarningLowered   ChangeKind = "warning_lowered"   // 预警等级降低（模型）
	WarningCleared   ChangeKind = "warning_cleared"   // 模型判定预警条件消除；处置仍需完成
	WarningSettled   ChangeKind = "warning_settled"   // 处置终结（解除/降级/误报），预警归档

	DisposalActed     ChangeKind = "disposal_acted"     // 签收/反馈/核查/…
	DisposalEscalated ChangeKind = "disposal_escalated" // 逾期，逐级上报
	DisposalOverdue   ChangeKind = "disposal_overdue"   // 省级仍逾期
)

// WarningChange is a warning raised, re-levelled, acted on, escalated or settled.
type WarningChange struct {
	Kind       ChangeKind  `json:"kind"`
	Warning    Warning     `json:"warning"` // a copy as it is after the change
	Reason     string      `json:"reason,omitempty"`
	Action     *Action     `json:"action,omitempty"`
	Escalation *Escalation `json:"escalation,omitempty"`
}

// Changes is what one call of the engine changed, in order, for the consumer to store
// and announce.
type Changes struct {
	Alarms   []AlarmChange   `json:"alarms,omitempty"`
	Warnings []WarningChange `json:"warnings,omitempty"`
}

// Empty reports whether nothing changed.
func (c *Changes) Empty() bool { return len(c.Alarms) == 0 && len(c.Warnings) == 0 }
