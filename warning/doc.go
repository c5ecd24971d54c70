// Package warning owns what the platform concludes from company data: the alarm
// lifecycle of every indicator (高报/高高报/低报/低低报, no data) and of the alarms
// companies send (video, gas-station video, positioning), the risk-warning models
// (enterprise, warehouse, leak) that turn them into 红橙黄蓝 warnings, and the
// disposal workflow of each warning with its tiered escalation.
//
// Everything here is pure: an [Engine] is fed decoded events ([Decode]) and the time
// they are processed, and returns the changes to record and announce. It reads no
// clock, opens no connection and keeps all of its memory in a [State] that marshals
// to JSON, so a consumer can snapshot it and resume after a restart. An Engine is not
// safe for concurrent use; all of a company's state lives under its company code, so
// consumers that are co-partitioned by company can run one Engine per partition.
package warning
