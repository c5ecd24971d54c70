// Package positioning is the base system's 人员定位 module (人员自动定位系统建设
// 与应用指南): the people who carry tags — employees from the directory,
// contractors' people from the permit module, visitors, vehicles with their
// drivers and escorts — and the history of their tags; the plant's floor plans;
// electronic fences with their hours and limits; fixes from the plant's
// positioning gateway (a signed HTTP batch API) kept as tracks for the
// retention window; the alarms of 指南 4.5 and 4.6 raised, pushed, handled and
// confirmed; and 表1 人员定位报警数据 published to the platform, the alarm and
// its 销警 under one id.
//
// rules.go is the pure engine (fences, the alarm conditions, tracking a tag's
// stillness and stay); Service runs it against PostgreSQL on an injected clock.
package positioning
