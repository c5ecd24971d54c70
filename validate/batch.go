package validate

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/shandong-emergency/chemguard/schemas"
)

// DefaultFutureSkew is how far past Now an event time may lie before it is refused:
// company clocks drift, but not by more than this.
const DefaultFutureSkew = 10 * time.Minute

// Options are the inputs of a validation besides the bytes.
type Options struct {
	// Now is the time event times are checked against (the caller's clock).
	Now time.Time
	// FutureSkew is the allowed lead of an event time over Now; 0 means DefaultFutureSkew.
	FutureSkew time.Duration
	// MaxRecords bounds the batch; 0 means no bound.
	MaxRecords int
}

// Verdict is the outcome for one record of a batch.
type Verdict struct {
	Index    int
	ID       string       // the record's key as sent, when it was a string
	Record   any          // *schemas.<Type> of the table; nil when Errors is not empty
	Errors   []FieldError // why the record is rejected
	Warnings []FieldError // what was ignored (unknown keys)
	Raw      []byte       // the record's JSON as received, for rejected ones (evidence)
}

// OK reports whether the record is accepted.
func (v *Verdict) OK() bool { return len(v.Errors) == 0 }

var parsers fastjson.ParserPool

// Batch decodes body, a JSON array of records of table t, and checks every record.
// It returns one verdict per array element, in order, or a *BatchError when the body
// is not a JSON array (or is empty, or too long). A leading UTF-8 BOM is ignored. It
// never panics on any input.
func Batch(t *schemas.Table, body []byte, opts Options) ([]Verdict, error) {
	if opts.FutureSkew == 0 {
		opts.FutureSkew = DefaultFutureSkew
	}
	trimmed := TrimBOM(body)
	p := parsers.Get()
	defer parsers.Put(p)
	root, err := p.ParseBytes(trimmed)
	if err != nil {
		return nil, malformed(trimmed, len(body)-len(trimmed), err)
	}
	if root.Type() != fastjson.TypeArray {
		return nil, &BatchError{Rule: RuleNotArray,
			MessageZH: "请求体必须是记录的 JSON 数组，收到的是 " + typeZH(root.Type()),
			MessageEN: "the body must be a JSON array of records, got " + root.Type().String()}
	}
	items, _ := root.Array()
	if len(items) == 0 {
		return nil, &BatchError{Rule: RuleEmptyBatch, MessageZH: "数组中没有记录", MessageEN: "the array holds no records"}
	}
	if opts.MaxRecords > 0 && len(items) > opts.MaxRecords {
		return nil, &BatchError{Rule: RuleTooMany,
			MessageZH: fmt.Sprintf("一批最多 %d 条记录，收到 %d 条，请分批上传", opts.MaxRecords, len(items)),
			MessageEN: fmt.Sprintf("a batch holds at most %d records, got %d; split it", opts.MaxRecords, len(items))}
	}
	out := make([]Verdict, len(items))
	sc := newScratch(t)
	for i, item := range items {
		out[i] = record(t, i, item, &opts, sc)
	}
	return out, nil
}

// plan is what the rules need of a table's shape, worked out once per table: field
// positions in place of look-ups by name for every record.
type plan struct {
	key          int
	requiredWhen []requiredWhen
	orders       [][2]int // earlier, later
	parent       []int    // for each field, its Parent's position; -1 when it has none
	ascending    []int
	within       [2]int // -1 when the table has no range fields
}

type requiredWhen struct {
	field, when int
	equals      string
}

// plans holds each table's plan (*schemas.Table → *plan).
var plans sync.Map

func planOf(t *schemas.Table) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	// register has checked every name a table's rules use, so each index exists.
	index := func(id string) int {
		i, _ := t.FieldIndex(id)
		return i
	}
	p := &plan{key: index(t.Key), within: [2]int{-1, -1}}
	for _, r := range t.RequiredWhen {
		p.requiredWhen = append(p.requiredWhen, requiredWhen{field: index(r.Field), when: index(r.When), equals: r.Equals})
	}
	for _, o := range t.Orders {
		p.orders = append(p.orders, [2]int{index(o.Earlier), index(o.Later)})
	}
	for _, f := range t.Fields {
		parent := -1
		if f.Parent != "" {
			parent = index(f.Parent)
		}
		p.parent = append(p.parent, parent)
	}
	for _, id := range t.Ascending {
		p.ascending = append(p.ascending, index(id))
	}
	for i, id := range t.Within {
		if id != "" {
			p.within[i] = index(id)
		}
	}
	actual, _ := plans.LoadOrStore(t, p)
	return actual.(*plan)
}

// scratch is the per-record working space of one batch, reused from record to record.
type scratch struct {
	plan    *plan
	values  []*fastjson.Value // each field's value in the record, nil when the key is absent
	present []bool
	unknown [][]byte // keys the table does not have, in the record's order
	number  []byte   // a JSON number's text
}

func newScratch(t *schemas.Table) *scratch {
	return &scratch{plan: planOf(t), values: make([]*fastjson.Value, len(t.Fields)), present: make([]bool, len(t.Fields))}
}

// checker carries one record's state through the rules.
type checker struct {
	t    *schemas.Table
	p    *plan
	opts *Options
	v    *Verdict
	rec  reflect.Value
	// present[i] says field i had a non-null, non-blank value.
	present []bool
	sc      *scratch
}

func (c *checker) fail(f *schemas.Field, rule Rule, zh, en string) {
	field := ""
	if f != nil {
		field = f.ID
		zh = "「" + f.NameZH + "」(" + f.ID + ") " + zh
		en = f.ID + " " + en
	}
	c.v.Errors = append(c.v.Errors, FieldError{Index: c.v.Index, ID: c.v.ID, Field: field, Rule: rule, MessageZH: zh, MessageEN: en})
}

func record(t *schemas.Table, index int, item *fastjson.Value, opts *Options, sc *scratch) Verdict {
	v := Verdict{Index: index}
	obj, err := item.Object()
	if err != nil {
		v.Raw = item.MarshalTo(nil)
		v.Errors = []FieldError{{Index: index, Rule: RuleNotObject,
			MessageZH: "第 " + fmt.Sprint(index) + " 条不是 JSON 对象，而是 " + typeZH(item.Type()),
			MessageEN: fmt.Sprintf("record %d is not a JSON object but %s", index, item.Type())}}
		return v
	}
	// One pass over the keys: a field's value is the first one under its key, as
	// Object.Get would find it.
	clear(sc.values)
	clear(sc.present)
	sc.unknown = sc.unknown[:0]
	obj.Visit(func(k []byte, jv *fastjson.Value) {
		i, known := t.FieldIndex(string(k))
		switch {
		case !known:
			sc.unknown = append(sc.unknown, k)
		case sc.values[i] == nil:
			sc.values[i] = jv
		}
	})
	if key := sc.values[sc.plan.key]; key != nil && key.Type() == fastjson.TypeString {
		v.ID = string(key.GetStringBytes())
	}
	for _, k := range sc.unknown {
		v.Warnings = append(v.Warnings, FieldError{Index: index, ID: v.ID, Field: string(k), Rule: RuleUnknownField,
			MessageZH: "未定义的字段「" + string(k) + "」已忽略",
			MessageEN: "unknown field " + string(k) + " was ignored"})
	}
	recPtr := t.New()
	c := checker{t: t, p: sc.plan, opts: opts, v: &v, rec: reflect.ValueOf(recPtr).Elem(), present: sc.present, sc: sc}
	for i := range t.Fields {
		f := &t.Fields[i]
		c.present[i] = c.field(f, c.rec.Field(i), sc.values[i])
	}
	c.crossField()
	if len(v.Errors) > 0 {
		v.Raw = item.MarshalTo(nil)
		return v
	}
	v.Record = recPtr
	return v
}

// field checks one field and stores its value; it reports whether a value was there.
func (c *checker) field(f *schemas.Field, dst reflect.Value, jv *fastjson.Value) bool {
	if jv == nil || jv.Type() == fastjson.TypeNull {
		if f.Required {
			c.fail(f, RuleRequired, "为必填项，缺失", "is required but missing")
		}
		return false
	}
	switch f.Kind {
	case schemas.KindChar, schemas.KindText:
		if jv.Type() != fastjson.TypeString {
			c.notString(f, jv)
			return true
		}
		b := jv.GetStringBytes()
		if len(bytes.TrimSpace(b)) == 0 {
			c.blank(f)
			return false
		}
		s := stored(f, b)
		dst.SetString(s)
		c.char(f, s)
		return true
	case schemas.KindNumber, schemas.KindDecimal:
		s, ok := c.numberText(f, jv)
		if !ok {
			return true
		}
		if s == "" {
			c.blank(f)
			return false
		}
		if n, ok := c.number(f, s); ok {
			dst.SetString(n)
		}
		return true
	case schemas.KindDateTime, schemas.KindDate:
		// A time is parsed, not kept as text: the bytes are copied only for the
		// parser's slow path and the error messages.
		if jv.Type() != fastjson.TypeString {
			c.notString(f, jv)
			return true
		}
		b := bytes.TrimSpace(jv.GetStringBytes())
		if len(b) == 0 {
			c.blank(f)
			return false
		}
		c.when(f, dst, b)
		return true
	case schemas.KindFile:
		// Files are megabytes of base64: work on the parser's bytes, never a copy.
		if jv.Type() != fastjson.TypeString {
			c.notString(f, jv)
			return true
		}
		s := bytes.TrimSpace(jv.GetStringBytes())
		if len(s) == 0 {
			c.blank(f)
			return false
		}
		c.file(f, dst, s)
		return true
	}
	return true
}

// blank reports a blank value of f if f is required.
func (c *checker) blank(f *schemas.Field) {
	if f.Required {
		c.fail(f, RuleRequired, "为必填项，不能为空", "is required but blank")
	}
}

func (c *checker) notString(f *schemas.Field, jv *fastjson.Value) {
	c.fail(f, RuleType, "应为字符串，收到 "+typeZH(jv.Type()), "must be a JSON string, got "+jv.Type().String())
}

// stored is the string a text field keeps: the code table's own copy of a code (the
// same text, without a copy per record), else a copy of b.
func stored(f *schemas.Field, b []byte) string {
	if f.Code != nil {
		if code, ok := f.Code.LookupBytes(b); ok {
			return code.Value
		}
	}
	return string(b)
}

// numberText returns a number field's text: a JSON number as written, or a string
// holding one.
func (c *checker) numberText(f *schemas.Field, jv *fastjson.Value) (string, bool) {
	switch jv.Type() {
	case fastjson.TypeNumber:
		c.sc.number = jv.MarshalTo(c.sc.number[:0])
		return string(c.sc.number), true
	case fastjson.TypeString:
		return strings.TrimSpace(string(jv.GetStringBytes())), true
	}
	c.fail(f, RuleType, "应为数字或数字字符串，收到 "+typeZH(jv.Type()), "must be a JSON number or a numeric string, got "+jv.Type().String())
	return "", false
}

func (c *checker) char(f *schemas.Field, s string) {
	if !cleanText(s) {
		c.fail(f, RuleEncoding, "含有无效的 UTF-8 字节或控制字符（如 \\u0000），无法入库",
			"holds invalid UTF-8 or a control character (such as \\u0000) that cannot be stored")
		return
	}
	if f.Length > 0 {
		if n := utf8.RuneCountInString(s); n > f.Length {
			c.fail(f, RuleLength, fmt.Sprintf("长度为 %d 个字符，超过上限 %d", n, f.Length),
				fmt.Sprintf("is %d characters long, more than the limit of %d", n, f.Length))
			return
		}
	}
	if f.Code != nil {
		if _, ok := f.Code.Lookup(s); !ok {
			c.fail(f, RuleCode, fmt.Sprintf("取值「%s」不在代码表「%s」中，允许：%s", s, f.Code.NameZH, strings.Join(f.Code.Values(), "、")),
				fmt.Sprintf("value %q is not in code table %s; allowed: %s", s, f.Code.ID, strings.Join(f.Code.Values(), ", ")))
		}
		return
	}
	switch f.Format {
	case schemas.FormatUUID:
		if !IsUUID(s) {
			c.fail(f, RuleUUID, fmt.Sprintf("「%s」不是 36 位 UUID（8-4-4-4-12 位十六进制）", s),
				fmt.Sprintf("%q is not a 36-character UUID (8-4-4-4-12 hex digits)", s))
		}
	case schemas.FormatGB28181:
		if !IsGB28181Channel(s) {
			c.fail(f, RuleGB28181, fmt.Sprintf("「%s」不符合 GB28181 编码规范：9位企业编码+0132+7位流水号，共20位", s),
				fmt.Sprintf("%q is not a GB28181 channel code: 9-character company code + 0132 + 7-digit serial, 20 in all", s))
		}
	case schemas.FormatPhone:
		if !IsPhone(s) {
			c.fail(f, RulePhone, fmt.Sprintf("「%s」不是有效的手机号或固定电话", s),
				fmt.Sprintf("%q is not a valid mobile or landline number", s))
		}
	case schemas.FormatMobile:
		if !IsMobile(s) {
			c.fail(f, RuleMobile, fmt.Sprintf("「%s」不是有效的手机号：应为 11 位、以 13～19 开头的中国大陆手机号（可带 +86），不能填固定电话", s),
				fmt.Sprintf("%q is not a mobile number: 11 digits starting 13–19 (+86 allowed); a landline is not accepted", s))
		}
	}
}

// number checks a numeric text against kind, precision, range and code table, and
// returns it in canonical form (no '+', no leading zeros), which is valid JSON.
func (c *checker) number(f *schemas.Field, s string) (string, bool) {
	intDigits, fracDigits, ok := decimalDigits(s)
	if !ok {
		c.fail(f, RuleNumber, fmt.Sprintf("「%s」不是十进制数字", s), fmt.Sprintf("%q is not a decimal number", s))
		return "", false
	}
	n := canonicalDecimal(s)
	switch {
	case f.Kind == schemas.KindNumber && fracDigits > 0:
		c.fail(f, RuleNumber, fmt.Sprintf("「%s」应为整数", s), fmt.Sprintf("%q must be an integer", s))
		return "", false
	case f.Scale > 0 && (fracDigits > f.Scale || intDigits > f.Length-f.Scale):
		c.fail(f, RulePrecision, fmt.Sprintf("「%s」超出精度 (%d,%d)：整数最多 %d 位，小数最多 %d 位", s, f.Length, f.Scale, f.Length-f.Scale, f.Scale),
			fmt.Sprintf("%q exceeds precision (%d,%d): at most %d integer and %d decimal digits", s, f.Length, f.Scale, f.Length-f.Scale, f.Scale))
		return "", false
	case f.Scale == 0 && f.Length > 0 && intDigits+fracDigits > f.Length:
		c.fail(f, RuleLength, fmt.Sprintf("「%s」超过 %d 位数字", s, f.Length), fmt.Sprintf("%q has more than %d digits", s, f.Length))
		return "", false
	}
	if f.Positive && (strings.HasPrefix(s, "-") || isZero(s)) {
		c.fail(f, RuleRange, fmt.Sprintf("「%s」应大于 0", s), fmt.Sprintf("%q must be greater than 0", s))
		return "", false
	}
	if f.Format == schemas.FormatLon || f.Format == schemas.FormatLat {
		limit := 180.0
		name := "经度"
		if f.Format == schemas.FormatLat {
			limit, name = 90, "纬度"
		}
		if x := parseFloat(s); x < -limit || x > limit {
			c.fail(f, RuleRange, fmt.Sprintf("「%s」超出%s范围 -%g～%g", s, name, limit, limit),
				fmt.Sprintf("%q is outside the range -%g to %g", s, limit, limit))
			return "", false
		}
	}
	if f.Code != nil {
		if _, ok := f.Code.Lookup(n); !ok {
			c.fail(f, RuleCode, fmt.Sprintf("取值「%s」不在代码表「%s」中，允许：%s", s, f.Code.NameZH, strings.Join(f.Code.Values(), "、")),
				fmt.Sprintf("value %q is not in code table %s; allowed: %s", s, f.Code.ID, strings.Join(f.Code.Values(), ", ")))
			return "", false
		}
	}
	return n, true
}

func (c *checker) when(f *schemas.Field, dst reflect.Value, b []byte) {
	layout, rule, zhName := schemas.DateTimeLayout, RuleDateTime, "yyyy-MM-dd HH:mm:ss"
	if f.Kind == schemas.KindDate {
		layout, rule, zhName = schemas.DateLayout, RuleDate, "yyyy-MM-dd"
	}
	t, ok := parseSeedTime(b, f.Kind == schemas.KindDate)
	if !ok {
		s := string(b)
		var err error
		if t, err = time.ParseInLocation(layout, s, schemas.Shanghai); err != nil {
			c.fail(f, rule, fmt.Sprintf("「%s」不是有效的时间，格式应为 %s", s, zhName),
				fmt.Sprintf("%q is not a valid time in the form %s", s, zhName))
			return
		}
	}
	if f.Event && !c.opts.Now.IsZero() && t.After(c.opts.Now.Add(c.opts.FutureSkew)) {
		s := string(b)
		c.fail(f, RuleFuture, fmt.Sprintf("「%s」晚于当前时间 %s，事件时间不能在未来", s, c.opts.Now.In(schemas.Shanghai).Format(schemas.DateTimeLayout)),
			fmt.Sprintf("%q is after the current time %s; an event time cannot be in the future", s, c.opts.Now.In(schemas.Shanghai).Format(schemas.DateTimeLayout)))
		return
	}
	// Through a pointer: reflect.Value.Set would box the value first.
	if f.Kind == schemas.KindDate {
		*dst.Addr().Interface().(*schemas.Date) = schemas.Date{Time: t}
	} else {
		*dst.Addr().Interface().(*schemas.DateTime) = schemas.DateTime{Time: t}
	}
}

func (c *checker) file(f *schemas.Field, dst reflect.Value, s []byte) {
	// A bound before decoding: base64 carries 3 bytes in 4 characters, not counting
	// a data: URI prefix and MIME line breaks, so n characters decode to at least
	// n/4*3-2 bytes.
	if least := base64Chars(s)/4*3 - 2; least > f.MaxBytes {
		c.fail(f, RuleFileSize, fmt.Sprintf("文件约 %d 字节，超过上限 %d 字节（%s）", least, f.MaxBytes, sizeText(f.MaxBytes)),
			fmt.Sprintf("the file is about %d bytes, more than the limit of %d bytes (%s)", least, f.MaxBytes, sizeText(f.MaxBytes)))
		return
	}
	data, err := decodeBase64(s)
	if err != nil {
		c.fail(f, RuleBase64, "不是 base64 编码或 data URI", "is neither base64 nor a base64 data: URI")
		return
	}
	if int64(len(data)) > f.MaxBytes {
		c.fail(f, RuleFileSize, fmt.Sprintf("文件 %d 字节，超过上限 %d 字节（%s）", len(data), f.MaxBytes, sizeText(f.MaxBytes)),
			fmt.Sprintf("the file is %d bytes, more than the limit of %d bytes (%s)", len(data), f.MaxBytes, sizeText(f.MaxBytes)))
		return
	}
	ct := schemas.SniffContentType(data)
	allowed := ct == "image/png" || ct == "image/jpeg" || ct == "image/bmp"
	want, wantEN := "PNG、JPG、JPEG 或 BMP 图片", "a PNG, JPEG or BMP image"
	if f.Format == schemas.FormatPermit {
		allowed = allowed || ct == "application/pdf"
		want, wantEN = "图片（PNG、JPEG、BMP）或 PDF", "an image (PNG, JPEG, BMP) or a PDF"
	}
	if !allowed {
		c.fail(f, RuleFileFormat, "按文件内容判断不是"+want, "is not "+wantEN+" by its bytes")
		return
	}
	*dst.Addr().Interface().(*schemas.File) = schemas.File{ContentType: ct, Size: int64(len(data)), Data: data}
}

// crossField applies the rules that tie fields together: conditional requirements,
// time order and two-level codes. It only judges fields that were valid on their own.
func (c *checker) crossField() {
	t := c.t
	c.ascending()
	for _, r := range c.p.requiredWhen {
		when := &t.Fields[r.when]
		if c.textOf(r.when) != r.equals {
			continue
		}
		f := &t.Fields[r.field]
		if !c.present[r.field] && !c.hasError(f.ID) {
			code := r.equals
			if when.Code != nil {
				if cd, ok := when.Code.Lookup(r.equals); ok {
					code = cd.NameZH + "(" + r.equals + ")"
				}
			}
			c.fail(f, RuleRequiredWhen, fmt.Sprintf("在「%s」为 %s 时必填", when.NameZH, code),
				fmt.Sprintf("is required when %s is %q", when.ID, r.equals))
		}
	}
	for _, o := range c.p.orders {
		ef, lf := &t.Fields[o[0]], &t.Fields[o[1]]
		e, l := c.timeOf(o[0]), c.timeOf(o[1])
		if !e.IsZero() && !l.IsZero() && l.Before(e) {
			c.fail(lf, RuleOrder, fmt.Sprintf("早于「%s」(%s)", ef.NameZH, ef.ID),
				fmt.Sprintf("is before %s", ef.ID))
		}
	}
	for i := range t.Fields {
		f := &t.Fields[i]
		p := c.p.parent[i]
		if p < 0 || !c.present[i] || c.hasError(f.ID) {
			continue
		}
		pf := &t.Fields[p]
		if c.hasError(pf.ID) || !c.present[p] {
			continue
		}
		code, _ := f.Code.Lookup(c.textOf(i))
		if parent := c.textOf(p); code.Parent != parent {
			c.fail(f, RuleCodeParent, fmt.Sprintf("「%s %s」不属于「%s」为 %s 的分类，应以 %s- 开头", code.Value, code.NameZH, pf.NameZH, parent, parent),
				fmt.Sprintf("%q does not belong to %s %q; it must start with %s-", code.Value, pf.ID, parent, parent))
		}
	}
}

func (c *checker) hasError(field string) bool {
	for _, e := range c.v.Errors {
		if e.Field == field {
			return true
		}
	}
	return false
}

// ascending checks that the table's threshold fields, where present and valid,
// strictly increase and lie within its range fields.
func (c *checker) ascending() {
	t := c.t
	if len(t.Ascending) == 0 {
		return
	}
	var prev *schemas.Field
	var prevVal float64
	lo, hi := c.numberOf(c.p.within[0]), c.numberOf(c.p.within[1])
	if lo != nil && hi != nil && *hi <= *lo {
		f := &t.Fields[c.p.within[1]]
		c.fail(f, RuleThresholdOrder, "应大于「"+fieldName(t, t.Within[0])+"」", "must be greater than "+t.Within[0])
		return
	}
	for _, i := range c.p.ascending {
		v := c.numberOf(i)
		if v == nil {
			continue
		}
		f := &t.Fields[i]
		if prev != nil && *v <= prevVal {
			c.fail(f, RuleThresholdOrder, "应大于「"+prev.NameZH+"」("+prev.ID+")", "must be greater than "+prev.ID)
		}
		if lo != nil && *v < *lo || hi != nil && *v > *hi {
			c.fail(f, RuleThresholdOrder, "超出量程「"+fieldName(t, t.Within[0])+"」～「"+fieldName(t, t.Within[1])+"」",
				"is outside the range "+t.Within[0]+"…"+t.Within[1])
		}
		prev, prevVal = f, *v
	}
}

// numberOf returns the value of the valid number field at position i, or nil when
// absent or invalid (or when i is -1: no such field).
func (c *checker) numberOf(i int) *float64 {
	if i < 0 || c.hasError(c.t.Fields[i].ID) {
		return nil
	}
	s := c.textOf(i)
	if s == "" {
		return nil
	}
	v := parseFloat(s)
	return &v
}

func fieldName(t *schemas.Table, id string) string {
	f, _ := t.Field(id)
	return f.NameZH
}

// textOf returns the text of the field at position i as stored (a string or a
// Number's canonical text).
func (c *checker) textOf(i int) string {
	return c.rec.Field(i).String()
}

// timeOf returns the time of the date or date-time field at position i (zero when
// absent or of another kind).
func (c *checker) timeOf(i int) time.Time {
	switch v := c.rec.Field(i).Addr().Interface().(type) {
	case *schemas.DateTime:
		return v.Time
	case *schemas.Date:
		return v.Time
	}
	return time.Time{}
}

var typeNamesZH = map[fastjson.Type]string{fastjson.TypeNull: "null", fastjson.TypeObject: "对象", fastjson.TypeArray: "数组",
	fastjson.TypeString: "字符串", fastjson.TypeNumber: "数字", fastjson.TypeTrue: "布尔值", fastjson.TypeFalse: "布尔值"}

func typeZH(t fastjson.Type) string { return typeNamesZH[t] }

func sizeText(n int64) string {
	return fmt.Sprintf("%gMB", float64(n)/(1<<20))
}
