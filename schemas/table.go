package schemas

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard"
)

// Kind is a field's 数据类型 in the seed.
type Kind string

// The seed's data types.
const (
	KindChar     Kind = "char"     // 字符: a JSON string with a maximum length in characters
	KindText     Kind = "text"     // 文本: a JSON string, no length given
	KindNumber   Kind = "number"   // 数字: an integer, JSON number or numeric string
	KindDecimal  Kind = "decimal"  // 数值: a decimal, JSON number or numeric string
	KindDateTime Kind = "datetime" // 日期时间: "yyyy-MM-dd HH:mm:ss"
	KindDate     Kind = "date"     // 日期: "yyyy-MM-dd"
	KindFile     Kind = "file"     // 文件: base64 or a data: URI
)

// NameZH is the seed's word for the kind.
func (k Kind) NameZH() string {
	return map[Kind]string{KindChar: "字符", KindText: "文本", KindNumber: "数字", KindDecimal: "数值",
		KindDateTime: "日期时间", KindDate: "日期", KindFile: "文件"}[k]
}

// Format is a shape rule beyond the kind.
type Format string

// Shapes a value must have.
const (
	FormatUUID    Format = "uuid"    // 36-character UUID, 8-4-4-4-12 hex
	FormatGB28181 Format = "gb28181" // 9-character company code + "0132" + 7-digit serial
	FormatImage   Format = "image"   // PNG, JPEG or BMP by its bytes, at most 4 MB
	FormatPermit  Format = "permit"  // an image or a PDF by its bytes
	FormatPhone   Format = "phone"   // a mainland mobile or landline number
	FormatMobile  Format = "mobile"  // a mainland mobile number (手机号), +86 allowed
	FormatLon     Format = "lon"     // 经度, -180…180
	FormatLat     Format = "lat"     // 纬度, -90…90
)

// Field is one row of a seed exchange table.
type Field struct {
	ID       string // 标识符号, the JSON key, exactly as printed
	NameZH   string // 名称
	Kind     Kind
	Length   int // 数据长度 in characters (字符), or total digits (数值); 0 = none given
	Scale    int // digits after the point for 数值 (the 6 of "9,6")
	Required bool
	Format   Format
	Code     *CodeTable // the code table the value must come from
	Parent   string     // for a two-level code: the field holding the parent code
	Event    bool       // a time an event happened: must not lie in the future
	Positive bool       // a number that must be greater than zero (巡检周期)
	MaxBytes int64      // for files: the largest decoded size
	Note     string     // the seed's 说明, shortened

	index    int    // struct field index in the table's Go type
	member   string // `"ID":`, the field's name as json.Marshal writes it before the value
	omitZero bool   // the json tag says omitzero: a zero value is left out
}

// Frequency is how often the seed requires a table to be uploaded.
type Frequency struct {
	ID       string
	NameZH   string
	Interval time.Duration // the longest allowed gap between uploads; 0 = as it happens
	DueBy    time.Duration // for daily plans: due this long after local midnight (10:00)
}

// The seed's upload frequencies.
var (
	FrequencyDaily       = Frequency{ID: "daily", NameZH: "每天至少1次（增量）", Interval: 24 * time.Hour}
	FrequencyHourly      = Frequency{ID: "hourly", NameZH: "每小时1次（增量）", Interval: time.Hour}
	FrequencyTenMinutes  = Frequency{ID: "10min", NameZH: "每10分钟", Interval: 10 * time.Minute}
	FrequencyRealtime    = Frequency{ID: "realtime", NameZH: "实时上报"}
	FrequencyDailyBy10am = Frequency{ID: "daily-before-10", NameZH: "每天10点之前上报当日计划，变更实时上报",
		Interval: 24 * time.Hour, DueBy: 10 * time.Hour}
)

// RequiredWhen makes Field required when the field When holds the value Equals —
// conditions the seed states in words (已验收 needs 验收人姓名).
type RequiredWhen struct {
	Field  string
	When   string
	Equals string
}

// Order says the time in Later must not be before the time in Earlier.
type Order struct {
	Earlier, Later string
}

// Table is one exchange table and everything the platform knows about it.
type Table struct {
	Slug      string // URL slug: /api/v1/exchange/{slug}
	NameZH    string
	Group     string // 双重预防, 特殊作业, 人员定位, 智能视频, 加油站
	Seed      string // where the seed prints it
	Frequency Frequency
	// Key is the field that identifies a record; re-sending the same key updates it.
	Key string
	// VersionTime lists the fields whose time orders the versions of one record, most
	// preferred first (a cleared alarm's 销警时间 before its 报警时间). Empty: the time
	// the platform received the version orders them.
	VersionTime []string
	// History says every version is a time series worth keeping as such (status
	// reports, alarms). All tables keep history; this only marks the time-series ones.
	TimeSeries   bool
	RequiredWhen []RequiredWhen
	Orders       []Order
	// Ascending lists number fields that, where present, must strictly increase
	// (LOW_LOW < LOW < HIGH < HIGH_HIGH).
	Ascending []string
	// Within names the number fields bounding the Ascending ones (a range low and
	// high); empty when there are none.
	Within [2]string
	// PlatformDefined marks a table the seed names but does not structure.
	PlatformDefined bool
	Fields          []Field

	typ    reflect.Type
	topic  string
	byID   map[string]int
	hasCo  bool
	hasDel bool
}

// Topic is the Kafka topic the table's accepted records go to (named once, at
// registration: ingest asks for it per record).
func (t *Table) Topic() string { return t.topic }

// Field returns the field with the identifier id.
func (t *Table) Field(id string) (*Field, bool) {
	i, ok := t.byID[id]
	if !ok {
		return nil, false
	}
	return &t.Fields[i], true
}

// FieldIndex returns the position in Fields of the field with the identifier id.
func (t *Table) FieldIndex(id string) (int, bool) {
	i, ok := t.byID[id]
	return i, ok
}

// HasCompanyCode reports whether records carry COMPANY_CODE themselves; otherwise the
// company is the authenticated sender.
func (t *Table) HasCompanyCode() bool { return t.hasCo }

// HasDeleted reports whether records carry the DELETED soft-delete flag.
func (t *Table) HasDeleted() bool { return t.hasDel }

// New returns a pointer to a new zero record of the table's Go type.
func (t *Table) New() any { return reflect.New(t.typ).Interface() }

// Type is the table's Go type.
func (t *Table) Type() reflect.Type { return t.typ }

// Value returns the field f of rec, a pointer returned by New.
func (t *Table) Value(rec any, f *Field) reflect.Value {
	return reflect.ValueOf(rec).Elem().Field(f.index)
}

// String returns a char/text field of rec ("" when absent or of another kind).
func (t *Table) String(rec any, id string) string {
	f, ok := t.Field(id)
	if !ok {
		return ""
	}
	v := t.Value(rec, f)
	switch v.Kind() {
	case reflect.String:
		return v.String()
	}
	return ""
}

// Time returns a datetime/date field of rec (zero when absent).
func (t *Table) Time(rec any, id string) time.Time {
	f, ok := t.Field(id)
	if !ok {
		return time.Time{}
	}
	switch v := t.Value(rec, f).Interface().(type) {
	case DateTime:
		return v.Time
	case Date:
		return v.Time
	}
	return time.Time{}
}

// KeyOf returns the record's key value.
func (t *Table) KeyOf(rec any) string { return t.String(rec, t.Key) }

// VersionTimeOf returns the time that orders the record's versions, or zero when the
// table orders by receipt.
func (t *Table) VersionTimeOf(rec any) time.Time {
	for _, id := range t.VersionTime {
		if v := t.Time(rec, id); !v.IsZero() {
			return v
		}
	}
	return time.Time{}
}

// DeletedOf reports the record's soft-delete flag.
func (t *Table) DeletedOf(rec any) bool { return t.String(rec, "DELETED") == DeletedYes }

// Files returns the record's file fields (alarm images, permits) for the ingest node
// to move into the file store.
func (t *Table) Files(rec any) []*File {
	var out []*File
	for i := range t.Fields {
		if t.Fields[i].Kind == KindFile {
			out = append(out, t.Value(rec, &t.Fields[i]).Addr().Interface().(*File))
		}
	}
	return out
}

var (
	registry []*Table
	bySlug   = map[string]*Table{}
)

// Tables returns every exchange table: the seed's, in its order, then the
// platform-defined ones.
func Tables() []*Table { return registry }

// SeedTables returns the 14 tables the seed itself prints.
func SeedTables() []*Table {
	var out []*Table
	for _, t := range registry {
		if !t.PlatformDefined {
			out = append(out, t)
		}
	}
	return out
}

// TableBySlug returns the table for a URL slug.
func TableBySlug(slug string) (*Table, bool) {
	t, ok := bySlug[slug]
	return t, ok
}

// register reads the `seed` tags of the Go type of sample into t.Fields and adds t to
// the registry. A malformed tag panics at start-up, where a test sees it.
func register(t Table, sample any) *Table {
	t.typ = reflect.TypeOf(sample)
	t.topic = "chemguard.exchange." + t.Slug
	t.byID = map[string]int{}
	for i := 0; i < t.typ.NumField(); i++ {
		sf := t.typ.Field(i)
		f := parseField(t.Slug, sf)
		f.index = i
		t.byID[f.ID] = len(t.Fields)
		t.Fields = append(t.Fields, f)
	}
	_, t.hasCo = t.byID["COMPANY_CODE"]
	_, t.hasDel = t.byID["DELETED"]
	mustField := func(id, what string) {
		if _, ok := t.byID[id]; !ok {
			panic(fmt.Sprintf("schemas: %s: %s names unknown field %q", t.Slug, what, id))
		}
	}
	mustField(t.Key, "Key")
	for _, id := range t.VersionTime {
		mustField(id, "VersionTime")
	}
	for _, r := range t.RequiredWhen {
		mustField(r.Field, "RequiredWhen")
		mustField(r.When, "RequiredWhen")
	}
	for _, o := range t.Orders {
		mustField(o.Earlier, "Order")
		mustField(o.Later, "Order")
	}
	for _, id := range t.Ascending {
		mustField(id, "Ascending")
	}
	for _, id := range t.Within {
		if id != "" {
			mustField(id, "Within")
		}
	}
	for _, f := range t.Fields {
		if f.Parent != "" {
			mustField(f.Parent, "parent")
		}
	}
	if _, dup := bySlug[t.Slug]; dup {
		panic("schemas: duplicate slug " + t.Slug)
	}
	tp := &t
	registry = append(registry, tp)
	bySlug[t.Slug] = tp
	return tp
}

// parseField reads `json:"ID" seed:"名称,kind,opt,opt…" note:"说明"`. Options: len=N,
// len=P.S (数值 precision), req, uuid, gb28181, image, permit, phone, mobile, lon, lat, event, positive,
// code=TABLE, parent=FIELD, maxbytes=N.
func parseField(slug string, sf reflect.StructField) Field {
	fail := func(msg string) { panic(fmt.Sprintf("schemas: %s.%s: %s", slug, sf.Name, msg)) }
	id, jsonOpts, _ := strings.Cut(sf.Tag.Get("json"), ",")
	parts := strings.Split(sf.Tag.Get("seed"), ",")
	if id == "" || len(parts) < 2 {
		fail("needs json and seed tags")
	}
	f := Field{ID: id, NameZH: parts[0], Kind: Kind(parts[1]), Note: sf.Tag.Get("note")}
	switch jsonOpts {
	case "":
	case "omitzero":
		f.omitZero = true
	default:
		// AppendJSON writes the record as json.Marshal would and knows only omitzero.
		fail("json tag option " + jsonOpts + " is not supported")
	}
	if !plainName(id) {
		fail("the JSON name " + id + " needs escaping")
	}
	f.member = `"` + id + `":`
	if f.Kind.NameZH() == "" {
		fail("unknown kind " + parts[1])
	}
	for _, opt := range parts[2:] {
		key, val, _ := strings.Cut(opt, "=")
		var err error
		switch key {
		case "req":
			f.Required = true
		case "event":
			f.Event = true
		case "positive":
			f.Positive = true
		case "uuid", "gb28181", "image", "permit", "phone", "mobile", "lon", "lat":
			f.Format = Format(key)
		case "len":
			p, s, dec := strings.Cut(val, ".")
			if f.Length, err = strconv.Atoi(p); err == nil && dec {
				f.Scale, err = strconv.Atoi(s)
			}
		case "maxbytes":
			f.MaxBytes, err = strconv.ParseInt(val, 10, 64)
		case "code":
			ct, ok := CodeTableByID(val)
			if !ok {
				fail("unknown code table " + val)
			}
			f.Code = ct
		case "parent":
			f.Parent = val
		default:
			fail("unknown option " + opt)
		}
		if err != nil {
			fail(err.Error())
		}
	}
	want := map[Kind]reflect.Type{KindChar: reflect.TypeOf(""), KindText: reflect.TypeOf(""),
		KindNumber: reflect.TypeOf(Number("")), KindDecimal: reflect.TypeOf(Number("")),
		KindDateTime: reflect.TypeOf(DateTime{}), KindDate: reflect.TypeOf(Date{}), KindFile: reflect.TypeOf(File{})}[f.Kind]
	if sf.Type != want {
		fail(fmt.Sprintf("kind %s needs Go type %v, not %v", f.Kind, want, sf.Type))
	}
	if f.Kind == KindFile && f.MaxBytes == 0 {
		fail("file fields need maxbytes")
	}
	return f
}

// Lookup returns the table for a URL slug, or a not-found error that names it, for
// the HTTP handlers that take a slug.
func Lookup(slug string) (*Table, error) {
	t, ok := bySlug[slug]
	if !ok {
		return nil, chemguard.Errorf(chemguard.ENotFound, "没有名为「%s」的数据交换表", "no exchange table %q", slug)
	}
	return t, nil
}
