// Package openapi describes the platform's HTTP API (/api/v1) in OpenAPI 3.1,
// generated from the two things that define it: the route table of the running
// fiber app and the exchange-table registry (schemas). Each route's summary, caller,
// parameters and replies come from the catalogue in operations.go; a route without an
// entry is still described (path, method, parameters) and reported as Undescribed,
// which the conformance test refuses — so a new route cannot ship undocumented.
package openapi

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"

	"github.com/shandong-emergency/chemguard/schemas"
)

// Prefix is the API's path prefix; only routes under it are described.
const Prefix = "/api/v1"

// Path is where the description is served.
const Path = Prefix + "/openapi.json"

// Route is one entry of the route table: a method and a fiber path (":name" params).
type Route struct{ Method, Path string }

// RoutesOf returns app's /api/v1 routes, without middleware and the HEAD twins
// fiber adds to every GET, sorted.
func RoutesOf(app *fiber.App) []Route {
	seen := map[Route]bool{}
	var out []Route
	for _, r := range app.GetRoutes(true) {
		if r.Method == http.MethodHead || !strings.HasPrefix(r.Path, Prefix+"/") {
			continue
		}
		rt := Route{r.Method, r.Path}
		if !seen[rt] {
			seen[rt] = true
			out = append(out, rt)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Description is the generated document.
type Description struct {
	// Doc is the model; JSON its rendering, served as is.
	Doc  *v3.Document
	JSON []byte
	// Undescribed lists routes the catalogue has no entry for.
	Undescribed []Route
}

// exchangePrefix is the exchange API's fiber path; its routes are described once
// per registered table, with that table's record schema.
const exchangePrefix = Prefix + "/exchange/:slug"

// Build describes routes (RoutesOf the app) at version.
func Build(routes []Route, version string) (*Description, error) {
	d := &Description{}
	paths := orderedmap.New[string, *v3.PathItem]()
	item := func(p string) *v3.PathItem {
		pi, ok := paths.Get(p)
		if !ok {
			pi = &v3.PathItem{}
			paths.Set(p, pi)
		}
		return pi
	}
	for _, r := range routes {
		if r.Path == exchangePrefix || strings.HasPrefix(r.Path, exchangePrefix+"/") {
			for _, t := range schemas.Tables() {
				p, o := exchangeOperation(r, t)
				if o == nil {
					d.Undescribed = append(d.Undescribed, r)
					break
				}
				setOperation(item(p), r.Method, o)
			}
			continue
		}
		spec, ok := catalogue[r.Method+" "+r.Path]
		if r.Method+" "+r.Path == http.MethodGet+" "+Path {
			spec, ok = op{tag: "接口文档", summary: "本接口的 OpenAPI 3.1 描述", ok: 200, okBody: anyObject("OpenAPI 文档")}, true
		}
		if !ok {
			d.Undescribed = append(d.Undescribed, r)
			spec = op{tag: "其他", summary: "（尚无说明）", ok: 200}
		}
		setOperation(item(openAPIPath(r.Path)), r.Method, operation(r.Method, openAPIPath(r.Path), spec))
	}
	d.Doc = &v3.Document{
		Version: "3.1.0",
		Info: &base.Info{Title: "山东省危险化学品安全生产风险监测预警平台 接口 chemguard API", Version: version,
			Description: "企业数据交换（鲁应急字〔2021〕107号 附件的交换表）、风险预警、数据质量治理、数据共享与系统管理接口。" +
				"错误均为 {\"error\": {code, message_zh, message_en, details}}；交换接口逐条返回校验结果。"},
		Paths:      &v3.Paths{PathItems: paths},
		Components: components(),
	}
	b, err := d.Doc.RenderJSON("  ")
	if err != nil {
		return nil, fmt.Errorf("openapi: render: %w", err)
	}
	d.JSON = b
	return d, nil
}

func setOperation(pi *v3.PathItem, method string, o *v3.Operation) {
	switch method {
	case http.MethodGet:
		pi.Get = o
	case http.MethodPost:
		pi.Post = o
	case http.MethodPut:
		pi.Put = o
	case http.MethodDelete:
		pi.Delete = o
	case http.MethodPatch:
		pi.Patch = o
	}
}

// openAPIPath turns fiber's ":name" segments into "{name}".
func openAPIPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			segs[i] = "{" + strings.TrimSuffix(name, "?") + "}"
		}
	}
	return strings.Join(segs, "/")
}

func pathParams(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			out = append(out, s[1:len(s)-1])
		}
	}
	return out
}

var yes = true

// operation turns a catalogue entry into an OpenAPI operation on path.
func operation(method, path string, spec op) *v3.Operation {
	o := &v3.Operation{Tags: []string{spec.tag}, Summary: spec.summary,
		OperationId: operationID(method, path), Responses: &v3.Responses{Codes: orderedmap.New[string, *v3.Response]()}}
	for _, name := range pathParams(path) {
		o.Parameters = append(o.Parameters, &v3.Parameter{Name: name, In: "path", Required: &yes, Schema: str("")})
	}
	for _, q := range spec.query {
		o.Parameters = append(o.Parameters, &v3.Parameter{Name: q.name, In: "query", Description: q.desc, Schema: typed("", q.typ)})
	}
	switch spec.auth {
	case authKey:
		o.Security = []*base.SecurityRequirement{{Requirements: orderedmap.ToOrderedMap(map[string][]string{"apiKey": {}})}}
	case authSession:
		o.Security = []*base.SecurityRequirement{{Requirements: orderedmap.ToOrderedMap(map[string][]string{"session": {}})},
			{Requirements: orderedmap.ToOrderedMap(map[string][]string{"sessionCookie": {}})}}
	}
	if spec.body != nil {
		o.RequestBody = &v3.RequestBody{Required: &yes, Content: jsonContent(spec.body)}
	}
	okType := spec.okType
	if okType == "" {
		okType = "application/json"
	}
	okResp := &v3.Response{Description: "成功"}
	if spec.okBody != nil {
		okResp.Content = orderedmap.ToOrderedMap(map[string]*v3.MediaType{okType: {Schema: spec.okBody}})
	} else if spec.ok != http.StatusNoContent {
		okResp.Content = orderedmap.ToOrderedMap(map[string]*v3.MediaType{okType: {}})
	}
	o.Responses.Codes.Set(strconv.Itoa(spec.ok), okResp)
	errs := append([]int(nil), spec.errors...)
	if spec.auth != authNone {
		errs = append(errs, http.StatusUnauthorized, http.StatusForbidden)
	}
	if len(spec.query) > 0 || spec.body != nil {
		errs = append(errs, http.StatusBadRequest)
	}
	if spec.body != nil { // a body that reads but breaks a rule (missing field, bad value)
		errs = append(errs, http.StatusUnprocessableEntity)
	}
	if len(pathParams(path)) > 0 {
		errs = append(errs, http.StatusNotFound)
	}
	addErrors(o, errs)
	return o
}

func addErrors(o *v3.Operation, errs []int) {
	sort.Ints(errs)
	for _, code := range errs {
		k := strconv.Itoa(code)
		if _, dup := o.Responses.Codes.Get(k); dup {
			continue
		}
		o.Responses.Codes.Set(k, &v3.Response{Description: errorText[code], Content: jsonContent(ref("Error"))})
	}
}

var errorText = map[int]string{
	400: "请求无法读取：JSON 语法错误、查询参数无效",
	401: "缺少或无效的凭据（API 密钥或会话令牌）",
	403: "无权访问（角色或辖区之外；交换接口：记录携带其他企业的 COMPANY_CODE）",
	404: "未找到",
	409: "当前状态下不能这样做",
	413: "请求体或记录数超过上限",
	415: "Content-Type 须为 application/json",
	422: "内容不合规（字段逐一说明）",
	423: "账号已锁定",
	503: "依赖暂时不可用（消息队列），本批未接收，请重试",
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, s := range strings.Split(strings.TrimPrefix(path, Prefix), "/") {
		s = strings.NewReplacer("{", "by-", "}", "", ".", "-").Replace(s)
		for _, part := range strings.Split(s, "-") {
			if part != "" {
				b.WriteString(strings.ToUpper(part[:1]) + part[1:])
			}
		}
	}
	return b.String()
}

func jsonContent(s *base.SchemaProxy) *orderedmap.Map[string, *v3.MediaType] {
	return orderedmap.ToOrderedMap(map[string]*v3.MediaType{"application/json": {Schema: s}})
}

// exchangeOperation describes route r of the exchange API for table t: the path
// with the table's slug and the operation, or nil for a route it does not know.
func exchangeOperation(r Route, t *schemas.Table) (string, *v3.Operation) {
	at := Prefix + "/exchange/" + t.Slug
	name := schemaName(t)
	switch r.Method + " " + strings.TrimPrefix(r.Path, exchangePrefix) {
	case http.MethodPost + " ":
		maxItems := int64(10000)
		o := operation(r.Method, at, op{tag: "数据交换 · " + t.Group, summary: "上传" + t.NameZH + "（" + t.Frequency.NameZH + "）", auth: authKey,
			body: schema(&base.Schema{Type: []string{"array"}, MinItems: ptr(int64(1)), MaxItems: &maxItems,
				Items: &base.DynamicValue[*base.SchemaProxy, bool]{A: ref(name)}, Description: "记录数组，键为标准的标识符号"}),
			ok: 200, okBody: ref("BatchReply"), errors: []int{413, 415, 503}})
		reply, _ := o.Responses.Codes.Get("200")
		reply.Description = "已写入消息队列（acks=all）；逐条结果。至少一条被接收"
		reply.Headers = orderedmap.ToOrderedMap(map[string]*v3.Header{"X-Chemguard-Position": {Description: "本批位置：GET 单条记录时作 ?position= 传回即可读到本批写入", Schema: str("")}})
		o.Responses.Codes.Set("422", &v3.Response{Description: "每条记录都不合规（逐条错误，无一接收）", Content: jsonContent(ref("BatchReply"))})
		o.Description = "校验规则见 docs/exchange-tables.md；离线校验：chemguard check " + t.Slug + " FILE"
		return at, o
	case http.MethodGet + " ":
		return at, operation(r.Method, at, op{tag: "数据交换 · " + t.Group, summary: "按变更顺序列出本企业的" + t.NameZH, auth: authKey,
			query: []param{{"updated_since", "string", "只列出此后变更的记录（yyyy-MM-dd HH:mm:ss 或 RFC 3339）"}, pCursor, pLimit},
			ok:    200, okBody: object("一页", []string{"records"}, "records", arrayOf(ref(name), t.NameZH), "next_cursor", str("下一页游标；无则已是末页"))})
	case http.MethodGet + " /:id":
		p := at + "/{id}"
		o := operation(r.Method, p, op{tag: "数据交换 · " + t.Group, summary: "读回本企业的一条" + t.NameZH + "（主键 " + t.Key + "）", auth: authKey,
			query: []param{{"position", "string", "上传应答的 position：等待本批写入后再读（最多 CHEMGUARD_READ_WAIT）"}},
			ok:    200, okBody: ref(name)})
		reply, _ := o.Responses.Codes.Get("200")
		reply.Headers = orderedmap.ToOrderedMap(map[string]*v3.Header{
			"X-Chemguard-Deleted":    {Description: "记录已标记删除（DELETED=1）", Schema: str("")},
			"X-Chemguard-Updated-At": {Description: "最后变更时间（RFC 3339）", Schema: str("")},
		})
		return p, o
	}
	return "", nil
}

func ptr[T any](v T) *T { return &v }

// schemaName is the component name of a table's record schema.
func schemaName(t *schemas.Table) string {
	var b strings.Builder
	for _, part := range strings.Split(t.Slug, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Record"
}

func components() *v3.Components {
	s := orderedmap.New[string, *base.SchemaProxy]()
	s.Set("Error", object("错误", []string{"error"}, "error", object("", []string{"code", "message_zh", "message_en"},
		"code", str("错误代码：invalid、malformed、bad_parameter、not_found、conflict、unauthorized、forbidden、too_large、unsupported、unavailable、internal"),
		"message_zh", str("中文说明"), "message_en", str("English message"),
		"details", typed("结构化细节（如 JSON 语法错误的 position {offset, line, column}，或逐字段错误）", "object", "array"))))
	fieldError := object("一条字段错误", []string{"index", "rule", "message_zh", "message_en"},
		"index", integer("记录在数组中的序号（从 0 开始）"), "id", str("记录主键"), "field", str("字段标识符号"),
		"rule", str("规则：required、length、code、datetime、mobile…"), "message_zh", str("中文说明"), "message_en", str("English message"))
	s.Set("FieldError", fieldError)
	s.Set("BatchReply", object("上传应答", []string{"table", "accepted", "rejected", "position", "results"},
		"table", str("表"), "accepted", integer("接收条数"), "rejected", integer("拒收条数"),
		"position", str("本批位置（读回时作 ?position= 传回）"),
		"results", arrayOf(object("一条记录的结果", []string{"index", "status"}, "index", integer("序号"), "id", str("主键"),
			"status", schema(&base.Schema{Type: []string{"string"}, Enum: scalars([]string{"accepted", "rejected"})}),
			"errors", arrayOf(ref("FieldError"), "拒收原因"), "warnings", arrayOf(ref("FieldError"), "提示（如未知字段被忽略）")), "逐条结果")))
	for _, t := range schemas.Tables() {
		s.Set(schemaName(t), tableSchema(t))
	}
	return &v3.Components{Schemas: s, SecuritySchemes: orderedmap.ToOrderedMap(map[string]*v3.SecurityScheme{
		"apiKey":        {Type: "http", Scheme: "bearer", Description: "企业 API 密钥（chemguard enterprise add 或系统管理发放）"},
		"session":       {Type: "http", Scheme: "bearer", Description: "POST /api/v1/auth/login 返回的会话令牌"},
		"sessionCookie": {Type: "apiKey", In: "cookie", Name: "chemguard_session", Description: "门户登录后的会话 Cookie"},
	})}
}
