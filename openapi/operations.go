package openapi

import (
	"github.com/pb33f/libopenapi/datamodel/high/base"
)

// auth is how an operation's caller proves who it is.
type auth int

const (
	authNone    auth = iota
	authKey          // a company's API key: Authorization: Bearer KEY
	authSession      // a person's session: Authorization: Bearer TOKEN from /auth/login, or the portal cookie
)

// param is a query parameter.
type param struct {
	name, typ, desc string
}

// op describes one operation of the route table. Errors lists the statuses besides
// the ones every operation of its kind has (401/403 with auth, 400 with query
// parameters or a body, 404 with a path parameter).
type op struct {
	tag, summary string
	auth         auth
	query        []param
	body         *base.SchemaProxy
	ok           int
	okBody       *base.SchemaProxy // nil: no content (204) or okType's bytes
	okType       string            // default application/json
	errors       []int
}

var (
	pLimit      = param{"limit", "integer", "每页条数，1～1000（默认 100）"}
	pRegion     = param{"region", "string", "行政区划代码或 park:园区编码，须在本人辖区内（默认本人辖区）"}
	pCompany    = param{"company", "string", "企业编码"}
	pDay        = param{"day", "string", "日期 yyyy-MM-dd（默认今天）"}
	pCursor     = param{"cursor", "string", "上一页返回的 next_cursor，原样传回"}
	pFrom       = param{"from", "string", "起始时间（RFC 3339，含）"}
	pTo         = param{"to", "string", "截止时间（RFC 3339，不含）"}
	pBefore     = param{"before", "integer", "只返回编号小于此值的记录（翻页）"}
	pOffset     = param{"offset", "integer", "跳过的条数"}
	pStatus     = param{"status", "string", "状态"}
	anyObject   = func(desc string) *base.SchemaProxy { return object(desc, nil) }
	reasonBody  = object("原因", []string{"reason"}, "reason", str("原因"))
	passwordKey = []string{"username", "password"}
)

// catalogue holds every /api/v1 operation except the exchange's, which are generated
// per table from the registry. Keys are "METHOD /fiber/path".
var catalogue = map[string]op{
	// 账号与会话
	"POST /api/v1/auth/login": {tag: "账号与会话", summary: "登录：用户名、密码、动态口令（开启时），返回会话令牌", auth: authNone,
		body: object("登录", passwordKey, "username", str("用户名"), "password", str("密码"), "otp", str("动态口令（TOTP，6 位）")),
		ok:   200, okBody: object("会话", []string{"token", "expires_at"}, "token", str("会话令牌：Authorization: Bearer TOKEN"), "expires_at", str("过期时间（RFC 3339）")),
		errors: []int{401, 415, 423}},
	"POST /api/v1/auth/logout": {tag: "账号与会话", summary: "退出登录（吊销会话）", auth: authNone, ok: 204},
	"GET /api/v1/auth/me":      {tag: "账号与会话", summary: "当前账号、角色与辖区", auth: authSession, ok: 200, okBody: anyObject("当前账号")},
	"POST /api/v1/auth/totp": {tag: "账号与会话", summary: "开始绑定或更换动态口令：需当前密码，已绑定时还需当前动态口令；返回新密钥与 otpauth 地址", auth: authSession,
		body: object("身份确认", []string{"password"}, "password", str("当前密码"), "otp", str("已绑定时：当前 6 位动态口令")),
		ok:   200, okBody: object("动态口令密钥", []string{"secret", "otpauth_url"}, "secret", str("密钥（Base32）"), "otpauth_url", str("otpauth:// 地址")), errors: []int{401, 422}},
	"POST /api/v1/auth/password": {tag: "账号与会话", summary: "修改本人密码（需当前密码；弱口令拒绝）", auth: authSession,
		body: object("修改密码", []string{"current", "new"}, "current", str("当前密码"), "new", str("新密码")), ok: 204, errors: []int{401, 422}},
	"POST /api/v1/auth/totp/confirm": {tag: "账号与会话", summary: "确认绑定动态口令", auth: authSession, body: object("动态口令", []string{"otp"}, "otp", str("6 位动态口令")), ok: 204},

	// 系统管理
	"POST /api/v1/admin/users": {tag: "系统管理", summary: "新建账号（三员分立）", auth: authSession,
		body: object("账号", []string{"username", "password", "role", "domain"}, "username", str("用户名"), "display_name", str("姓名"), "password", str("初始密码"), "role", str("角色"), "domain", str("辖区：区划代码、park:园区编码或 ent:企业编码")),
		ok:   201, okBody: anyObject("新账号（管理员的动态口令密钥只显示这一次）"), errors: []int{409, 422}},
	"POST /api/v1/admin/users/:username/unlock":    {tag: "系统管理", summary: "解除登录锁定", auth: authSession, ok: 204},
	"POST /api/v1/admin/users/:username/disable":   {tag: "系统管理", summary: "停用账号（保留记录，结束其会话）", auth: authSession, ok: 204, errors: []int{404}},
	"POST /api/v1/admin/users/:username/enable":    {tag: "系统管理", summary: "重新启用账号", auth: authSession, ok: 204, errors: []int{404}},
	"POST /api/v1/admin/enterprises/:code/disable": {tag: "系统管理", summary: "停用企业（保留记录，其 API 密钥停止工作）", auth: authSession, ok: 204, errors: []int{404, 422}},
	"POST /api/v1/admin/enterprises/:code/enable":  {tag: "系统管理", summary: "重新启用企业", auth: authSession, ok: 204, errors: []int{404, 422}},
	"POST /api/v1/admin/users/:username/password":  {tag: "系统管理", summary: "重置密码（结束该账号的会话）", auth: authSession, body: object("新密码", []string{"password"}, "password", str("新密码")), ok: 204, errors: []int{422}},
	"POST /api/v1/admin/grants":                    {tag: "系统管理", summary: "授予角色", auth: authSession, body: object("授权", []string{"username", "role", "domain"}, "username", str("用户名"), "role", str("角色"), "domain", str("辖区")), ok: 204, errors: []int{404, 409}},
	"DELETE /api/v1/admin/grants":                  {tag: "系统管理", summary: "撤销角色", auth: authSession, body: object("授权", []string{"username", "role", "domain"}, "username", str("用户名"), "role", str("角色"), "domain", str("辖区")), ok: 204, errors: []int{404}},
	"GET /api/v1/admin/policy":                     {tag: "系统管理", summary: "权限策略与角色授予", auth: authSession, ok: 200, okBody: object("策略", []string{"permissions", "grants"}, "permissions", arrayOf(anyObject("权限"), "权限"), "grants", arrayOf(anyObject("授予"), "授予"))},
	"POST /api/v1/admin/policy":                    {tag: "系统管理", summary: "增加一条权限", auth: authSession, body: anyObject("权限：role, obj, act"), ok: 204, errors: []int{422}},
	"DELETE /api/v1/admin/policy":                  {tag: "系统管理", summary: "删除一条权限", auth: authSession, body: anyObject("权限：role, obj, act"), ok: 204},
	"GET /api/v1/system/status":                    {tag: "系统管理", summary: "系统状态：账号、企业、活动会话数", auth: authSession, ok: 200, okBody: object("状态", []string{"users", "enterprises", "active_sessions"}, "users", integer("账号数"), "enterprises", integer("企业数"), "active_sessions", integer("活动会话数"))},
	"POST /api/v1/admin/parks":                     {tag: "系统管理", summary: "登记化工园区", auth: authSession, body: object("园区", []string{"code", "name", "division_code"}, "code", str("园区编码"), "name", str("名称"), "division_code", str("所在区县代码")), ok: 201, okBody: anyObject("园区"), errors: []int{409, 422}},
	"POST /api/v1/admin/enterprises":               {tag: "系统管理", summary: "登记企业，返回其第一个 API 密钥（只显示这一次）", auth: authSession, body: object("企业", []string{"code", "name", "division_code"}, "code", str("企业编码"), "name", str("名称"), "division_code", str("所在区县代码"), "park_code", str("园区编码"), "kind", str("生产、经营、使用或加油站")), ok: 201, okBody: object("企业与密钥", []string{"code", "api_key"}, "code", str("企业编码"), "api_key", str("API 密钥")), errors: []int{409, 422}},
	"POST /api/v1/admin/enterprises/:code/keys":    {tag: "系统管理", summary: "轮换企业 API 密钥（新密钥只显示这一次，旧密钥吊销）", auth: authSession, ok: 201, okBody: object("新密钥", []string{"api_key", "revoked"}, "api_key", str("API 密钥"), "revoked", integer("吊销的旧密钥数"))},
	"DELETE /api/v1/admin/enterprises/:code/keys":  {tag: "系统管理", summary: "吊销企业的全部 API 密钥", auth: authSession, ok: 200, okBody: object("吊销", []string{"revoked"}, "revoked", integer("吊销的密钥数"))},
	"POST /api/v1/admin/enterprises/:code/admin":   {tag: "系统管理", summary: "签发企业的第一个企业管理员账号（企业端基础系统 /e/；一次性密码只显示这一次，首次登录须修改）", auth: authSession, body: object("账号", []string{"username"}, "username", str("用户名"), "display_name", str("姓名")), ok: 201, okBody: object("企业管理员", []string{"username", "password", "must_change_password", "login"}, "username", str("用户名"), "password", str("一次性密码"), "must_change_password", boolean("首次登录须修改密码"), "login", str("登录地址")), errors: []int{404, 409, 422}},

	// 风险预警
	"GET /api/v1/alarms": {tag: "风险预警", summary: "报警列表，最新在前", auth: authSession,
		query: []param{pRegion, pCompany, {"active", "boolean", "true 只看未销警，false 只看已销警"}, {"severity", "string", "high_high、high、low、low_low、no_data、company"}, pFrom, pTo, pBefore, pLimit},
		ok:    200, okBody: object("报警", []string{"alarms"}, "alarms", arrayOf(anyObject("报警"), "报警"))},
	"GET /api/v1/warnings": {tag: "风险预警", summary: "预警列表（含风险因素）", auth: authSession,
		query: []param{pRegion, pCompany, {"level", "string", "red、orange、yellow、blue、none"}, {"status", "string", "open 或 settled"}, {"step", "string", "处置环节"}, {"tier", "string", "county、city、province"}, {"model", "string", "预警模型"}, pFrom, pTo, pBefore, pLimit},
		ok:    200, okBody: object("预警", []string{"warnings"}, "warnings", arrayOf(anyObject("预警"), "预警"))},
	"GET /api/v1/warnings/stream":       {tag: "风险预警", summary: "预警变化的服务器推送事件流（text/event-stream）", auth: authSession, ok: 200, okType: "text/event-stream"},
	"GET /api/v1/warnings/:id":          {tag: "风险预警", summary: "预警详情：因素、等级历史、处置与事件", auth: authSession, ok: 200, okBody: object("预警详情", []string{"id"}, "id", integer("预警编号"))},
	"POST /api/v1/warnings/:id/actions": {tag: "风险预警", summary: "预警处置：签收、反馈、核查、解除、降级、误报", auth: authSession, body: object("处置", []string{"action"}, "action", str("acknowledge、feedback、verify、close、downgrade、false_alarm"), "note", str("处置说明"), "reason", str("原因"), "to_level", str("降级后的等级")), ok: 200, okBody: object("预警详情", []string{"id"}, "id", integer("预警编号")), errors: []int{409, 422}},

	// 数据质量治理
	"GET /api/v1/governance/scores":              {tag: "数据质量", summary: "企业得分与分项", auth: authSession, query: []param{pRegion, pDay, {"after", "string", "上一页最后的企业编码"}, pLimit}, ok: 200, okBody: object("得分", []string{"region", "day", "scores"}, "region", anyObject("区域：代码与名称"), "day", str("日期"), "scores", arrayOf(anyObject("企业得分"), "企业得分"))},
	"GET /api/v1/governance/regions":             {tag: "数据质量", summary: "区域得分与下级区域排名", auth: authSession, query: []param{pRegion, pDay}, ok: 200, okBody: anyObject("区域得分与排名")},
	"GET /api/v1/governance/companies/:code":     {tag: "数据质量", summary: "企业得分、趋势、在线与问题", auth: authSession, query: []param{pDay}, ok: 200, okBody: anyObject("企业数据质量")},
	"GET /api/v1/governance/facts":               {tag: "数据质量", summary: "数据质量事实，最新在前", auth: authSession, query: []param{pRegion, pCompany, {"kind", "string", "事实类型"}, {"open", "boolean", "true 未结束，false 已结束"}, pDay, pCursor, pLimit}, ok: 200, okBody: object("事实", []string{"facts"}, "facts", arrayOf(anyObject("事实"), "事实"), "next_cursor", str("下一页游标"))},
	"GET /api/v1/governance/fallers":             {tag: "数据质量", summary: "得分下降最多的企业", auth: authSession, query: []param{pRegion, pDay, pLimit}, ok: 200, okBody: object("下降", []string{"region", "day", "fallers"}, "region", anyObject("区域：代码与名称"), "day", str("日期"), "fallers", arrayOf(anyObject("企业"), "企业"))},
	"GET /api/v1/governance/rejections":          {tag: "数据质量", summary: "各表校验拒收情况（按表与规则）", auth: authSession, query: []param{pRegion, pCompany, pDay}, ok: 200, okBody: anyObject("拒收统计")},
	"GET /api/v1/governance/report":              {tag: "数据质量", summary: "治理日报（JSON）", auth: authSession, query: []param{pRegion, pDay}, ok: 200, okBody: anyObject("治理日报")},
	"GET /api/v1/governance/report.xlsx":         {tag: "数据质量", summary: "治理日报（Excel）", auth: authSession, query: []param{pRegion, pDay}, ok: 200, okType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	"GET /api/v1/share/governance/report":        {tag: "数据共享", summary: "治理日报（市县共享服务账号）", auth: authSession, query: []param{pRegion, pDay}, ok: 200, okBody: anyObject("治理日报")},
	"GET /api/v1/governance/notices":             {tag: "整改通知", summary: "整改通知列表", auth: authSession, query: []param{pRegion, pCompany, {"fact", "integer", "事实编号"}, {"status", "string", "open、overdue 或状态"}, pOffset, pLimit}, ok: 200, okBody: object("通知", []string{"notices", "total"}, "notices", arrayOf(anyObject("通知"), "通知"), "total", integer("总数"))},
	"POST /api/v1/governance/notices":            {tag: "整改通知", summary: "下达整改通知", auth: authSession, body: object("通知", []string{"company_code", "fact_ids", "requirement", "deadline"}, "company_code", str("企业编码"), "fact_ids", arrayOf(integer("事实编号"), "事实编号"), "requirement", str("整改要求"), "deadline", str("整改期限 yyyy-MM-dd[ HH:mm:ss]")), ok: 201, okBody: anyObject("通知"), errors: []int{409, 422}},
	"GET /api/v1/governance/notices/:id":         {tag: "整改通知", summary: "整改通知详情（事实与状态历史）", auth: authSession, ok: 200, okBody: anyObject("通知")},
	"POST /api/v1/governance/notices/:id/close":  {tag: "整改通知", summary: "关闭整改通知", auth: authSession, body: reasonBody, ok: 200, okBody: anyObject("通知"), errors: []int{409, 422}},
	"POST /api/v1/governance/notices/:id/reopen": {tag: "整改通知", summary: "重新打开整改通知", auth: authSession, body: object("原因与新期限", []string{"reason"}, "reason", str("原因"), "deadline", str("新的整改期限")), ok: 200, okBody: anyObject("通知"), errors: []int{409, 422}},
	"GET /api/v1/enterprise/notices":             {tag: "整改通知", summary: "本企业的整改通知（企业 API 密钥）", auth: authKey, query: []param{pStatus, pOffset, pLimit}, ok: 200, okBody: object("通知", []string{"notices", "total"}, "notices", arrayOf(anyObject("通知"), "通知"), "total", integer("总数"))},
	"GET /api/v1/enterprise/notices/:id":         {tag: "整改通知", summary: "本企业的一份整改通知", auth: authKey, ok: 200, okBody: anyObject("通知")},
	"POST /api/v1/enterprise/notices/:id/ack":    {tag: "整改通知", summary: "签收整改通知", auth: authKey, ok: 200, okBody: anyObject("通知"), errors: []int{409}},
	"POST /api/v1/enterprise/notices/:id/answer": {tag: "整改通知", summary: "整改反馈", auth: authKey, body: object("反馈", []string{"answer"}, "answer", str("整改情况")), ok: 200, okBody: anyObject("通知"), errors: []int{409, 422}},
	"POST /api/v1/positioning/fixes":             {tag: "人员定位", summary: "定位网关上报定位数据（网关凭证签名，必须签名；逐条校验，好数据保留）", auth: authKey, body: arrayOf(object("定位数据", []string{"card_no", "time", "x", "y", "floor"}, "card_no", str("卡号，≤36 字符"), "time", str("定位时间 yyyy-MM-dd HH:mm:ss（北京时间）或 RFC 3339"), "x", typed("平面图坐标 x（米）", "number"), "y", typed("平面图坐标 y（米）", "number"), "floor", str("楼层号，≤5 字符"), "sos", boolean("一键求救"), "speed", typed("网关测得的车速（km/h，0～200，可选；未给出时由平台按同一定位卡的相邻定位计算）", "number")), "定位数据"), ok: 200, okBody: object("结果", []string{"accepted", "rejected", "errors"}, "accepted", integer("保存条数"), "rejected", integer("拒收条数"), "errors", arrayOf(anyObject("逐条错误"), "逐条错误")), errors: []int{401, 422}},

	// 智能视频 / 加油站视频: the analysis boxes of base-system companies, by the device's key (signed)
	"POST /api/v1/enterprise/video/alarms": {tag: "智能视频分析设备", summary: "分析设备推送报警/销警（设备密钥，必须签名；multipart 或 JSON，图片 ≤ 4MB）", auth: authKey,
		body: object("报警（或其数组）", []string{"ALARM_TYPE", "ALARM_STATUS", "ALARM_TIME", "VIDEO_CODE"}, "EVENT_ID", str("设备自身的事件编号，用于配对销警"),
			"ALARM_TYPE", str("报警类型：企业 智能视频 表1 或 加油站 表1"), "ALARM_STATUS", str("1 报警 0 销警"), "ALARM_TIME", str("yyyy-MM-dd HH:mm:ss"),
			"VIDEO_CODE", str("GB28181 通道编码：9 位企业编码+0132+7 位流水号"), "ALARM_IMAGE", str("图片 Base64（multipart 时为文件部分）")),
		ok: 200, okBody: object("逐条结果", []string{"accepted", "rejected", "results"}, "accepted", integer("接收条数"), "rejected", integer("拒收条数"),
			"results", arrayOf(anyObject("一条的结果：index、id、status（raised/cleared/duplicate/rejected）、field、message_zh、message_en"), "结果")),
		errors: []int{413, 422}},
	"POST /api/v1/enterprise/video/heartbeat": {tag: "智能视频分析设备", summary: "分析设备心跳（设备密钥，必须签名）", auth: authKey, ok: 200,
		okBody: object("心跳", []string{"device", "status"}, "device", str("设备编码"), "status", str("ok"))},

	// 数据共享与查询
	"GET /api/v1/share/:slug": {tag: "数据共享", summary: "数据共享：辖区内一张交换表（或 warnings）按变更顺序", auth: authSession, query: []param{pCursor, pLimit}, ok: 200,
		okBody: object("一页", []string{"table", "records", "next_cursor"}, "table", str("表"), "records", arrayOf(anyObject("记录"), "记录"), "next_cursor", str("下一页游标（末页也返回，便于轮询）"))},
	"GET /api/v1/enterprises":                         {tag: "数据共享", summary: "辖区内企业", auth: authSession, query: []param{{"after", "string", "上一页最后的企业编码"}, pLimit}, ok: 200, okBody: object("企业", []string{"enterprises"}, "enterprises", arrayOf(anyObject("企业"), "企业"))},
	"GET /api/v1/enterprises/:code":                   {tag: "数据共享", summary: "一家企业", auth: authSession, ok: 200, okBody: anyObject("企业")},
	"GET /api/v1/enterprises/:code/records/:slug/:id": {tag: "数据共享", summary: "一家企业的一条交换记录", auth: authSession, ok: 200, okBody: anyObject("记录")},

	// 审计
	"GET /api/v1/audit":        {tag: "审计", summary: "审计日志（审计管理员）", auth: authSession, query: []param{{"after", "integer", "只返回序号大于此值的记录"}, {"actor", "string", "操作人"}, {"action", "string", "动作"}, {"result", "string", "结果"}, pFrom, pTo, {"limit", "integer", "每页条数，1～10000（默认 100）"}}, ok: 200, okBody: object("审计", []string{"records"}, "records", arrayOf(anyObject("审计记录"), "审计记录"), "next_after", integer("下一页 after"))},
	"GET /api/v1/audit/export": {tag: "审计", summary: "导出审计日志（NDJSON）", auth: authSession, query: []param{{"actor", "string", "操作人"}, {"action", "string", "动作"}, {"result", "string", "结果"}, pFrom, pTo}, ok: 200, okType: "application/x-ndjson"},
	"GET /api/v1/audit/verify": {tag: "审计", summary: "校验审计哈希链", auth: authSession, ok: 200, okBody: object("校验结果", []string{"ok", "rows"}, "ok", boolean("链完整"), "rows", integer("校验的行数"))},
}
