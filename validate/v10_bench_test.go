package validate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-playground/locales/en"
	"github.com/go-playground/locales/zh"
	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
	en_translations "github.com/go-playground/validator/v10/translations/en"
	zh_translations "github.com/go-playground/validator/v10/translations/zh"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// The seed's rules for 隐患信息 expressed as go-playground/validator v10 tags,
// as far as v10 can say them, to measure v10 against the seed-tag validator on
// the same records. encoding/json decodes the record (json.Number takes a JSON
// number or a numeric string, as the seed does); seedcode, notblank and
// notfuture are custom validations; the time order is a struct-level rule.
type hiddenDangerV10 struct {
	ID                   string      `json:"ID" validate:"required,max=36,uuid"`
	HazardCode           string      `json:"HAZARD_CODE" validate:"notblank,max=36"`
	RiskMeasureID        string      `json:"RISK_MEASURE_ID" validate:"omitempty,max=36,uuid"`
	DangerName           string      `json:"DANGER_NAME" validate:"notblank,max=100"`
	DangerLevel          json.Number `json:"DANGER_LEVEL" validate:"required,seedcode=danger-level"`
	RegistTime           string      `json:"REGIST_TIME" validate:"required,datetime=2006-01-02 15:04:05,notfuture"`
	Registrant           string      `json:"REGISTRANT" validate:"notblank,max=100"`
	DangerSrc            string      `json:"DANGER_SRC" validate:"required,max=4,seedcode=danger-src"`
	DangerManageType     json.Number `json:"DANGER_MANAGE_TYPE" validate:"required,seedcode=danger-manage-type"`
	HazardDangerType     json.Number `json:"HAZARD_DANGER_TYPE" validate:"required,seedcode=danger-type"`
	DangerDesc           string      `json:"DANGER_DESC" validate:"notblank,max=1000"`
	DangerReason         string      `json:"DANGER_REASON" validate:"max=1000"`
	LiablePerson         string      `json:"LIABLE_PERSON" validate:"notblank,max=100"`
	DangerManageDeadline string      `json:"DANGER_MANAGE_DEADLINE" validate:"required,datetime=2006-01-02 15:04:05"`
	CheckAcceptPerson    string      `json:"CHECK_ACCEPT_PERSON" validate:"required_if=DangerState 9,max=50"`
	CheckAcceptTime      string      `json:"CHECK_ACCEPT_TIME" validate:"required_if=DangerState 9,omitempty,datetime=2006-01-02 15:04:05,notfuture"`
	CheckAcceptComment   string      `json:"CHECK_ACCEPT_COMMENT" validate:"max=1000"`
	DangerState          json.Number `json:"DANGER_STATE" validate:"required,seedcode=danger-state"`
	Deleted              string      `json:"DELETED" validate:"required,seedcode=deleted"`
}

type nowKey struct{}

// v10 is one validator with the rules above and the zh and en translations.
type v10 struct {
	v      *validator.Validate
	zh, en ut.Translator
}

func newV10(tb testing.TB) *v10 {
	tb.Helper()
	v := validator.New(validator.WithRequiredStructEnabled())
	require.NoError(tb, v.RegisterValidation("seedcode", func(fl validator.FieldLevel) bool {
		t, ok := schemas.CodeTableByID(fl.Param())
		if !ok {
			return false
		}
		_, ok = t.Lookup(fl.Field().String())
		return ok
	}))
	require.NoError(tb, v.RegisterValidation("notblank", func(fl validator.FieldLevel) bool {
		return strings.TrimSpace(fl.Field().String()) != ""
	}))
	require.NoError(tb, v.RegisterValidationCtx("notfuture", func(ctx context.Context, fl validator.FieldLevel) bool {
		t, err := time.ParseInLocation(schemas.DateTimeLayout, fl.Field().String(), schemas.Shanghai)
		return err != nil || !t.After(ctx.Value(nowKey{}).(time.Time).Add(validate.DefaultFutureSkew))
	}))
	v.RegisterStructValidation(func(sl validator.StructLevel) {
		r := sl.Current().Interface().(hiddenDangerV10)
		// Only times valid on their own are ordered (as the seed does); the layout
		// sorts as text, so their order is that of the strings.
		_, errA := time.Parse(schemas.DateTimeLayout, r.CheckAcceptTime)
		_, errR := time.Parse(schemas.DateTimeLayout, r.RegistTime)
		if errA == nil && errR == nil && r.CheckAcceptTime < r.RegistTime {
			sl.ReportError(r.CheckAcceptTime, "CHECK_ACCEPT_TIME", "CheckAcceptTime", "order", "REGIST_TIME")
		}
	}, hiddenDangerV10{})
	uni := ut.New(zh.New(), zh.New(), en.New())
	x := &v10{v: v}
	x.zh, _ = uni.GetTranslator("zh")
	x.en, _ = uni.GetTranslator("en")
	require.NoError(tb, zh_translations.RegisterDefaultTranslations(v, x.zh))
	require.NoError(tb, en_translations.RegisterDefaultTranslations(v, x.en))
	for _, m := range []struct{ tag, zh, en string }{
		{"seedcode", "{0}的取值不在代码表中", "{0} is not in its code table"},
		{"notblank", "{0}为必填项，不能为空", "{0} is required but blank"},
		{"notfuture", "{0}晚于当前时间", "{0} lies in the future"},
		{"order", "{0}早于登记时间", "{0} is before REGIST_TIME"},
	} {
		for _, tr := range []struct {
			t    ut.Translator
			text string
		}{{x.zh, m.zh}, {x.en, m.en}} {
			require.NoError(tb, v.RegisterTranslation(m.tag, tr.t, func(t ut.Translator) error { return t.Add(m.tag, tr.text, true) },
				func(t ut.Translator, fe validator.FieldError) string { s, _ := t.T(fe.Tag(), fe.Field()); return s }))
		}
	}
	v.RegisterTagNameFunc(func(f reflect.StructField) string { return strings.Split(f.Tag.Get("json"), ",")[0] })
	return x
}

// verdict is what batch returns per record: the field errors in both
// languages, as validate.Verdict carries them.
type verdict struct {
	rec    *hiddenDangerV10
	errors []validate.FieldError
}

// batch decodes body, a JSON array of hidden dangers, record by record (one
// bad record must not sink the batch) and checks each with v10.
func (x *v10) batch(ctx context.Context, body []byte) ([]verdict, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return nil, err
	}
	out := make([]verdict, len(raws))
	for i, raw := range raws {
		rec := new(hiddenDangerV10)
		if err := json.Unmarshal(raw, rec); err != nil {
			out[i].errors = []validate.FieldError{{Index: i, Rule: validate.RuleType, MessageZH: "类型错误", MessageEN: err.Error()}}
			continue
		}
		err := x.v.StructCtx(ctx, rec)
		if err == nil {
			out[i].rec = rec
			continue
		}
		for _, fe := range err.(validator.ValidationErrors) {
			out[i].errors = append(out[i].errors, validate.FieldError{Index: i, ID: rec.ID, Field: fe.Field(),
				Rule: validate.Rule(fe.Tag()), MessageZH: fe.Translate(x.zh), MessageEN: fe.Translate(x.en)})
		}
	}
	return out, nil
}

// hiddenDangerBatch is n realistic 隐患信息 records, every tenth one invalid in
// one of the ways companies get them wrong.
func hiddenDangerBatch(tb testing.TB, n int) (body []byte, invalid int) {
	tb.Helper()
	breaks := []fields{
		{"DANGER_NAME": strings.Repeat("液", 101)},                            // too long, in characters
		{"DANGER_SRC": "99"},                                                 // not in the code table
		{"CHECK_ACCEPT_PERSON": absent},                                      // 已验收 without the acceptor
		{"REGIST_TIME": "2021/09/08 09:15"},                                  // not the seed's layout
		{"DANGER_DESC": "   "},                                               // blank
		{"CHECK_ACCEPT_TIME": "2021-09-01 10:00:00"},                         // before the registration
		{"RISK_MEASURE_ID": "not-a-uuid"},                                    // not a UUID
		{"DANGER_MANAGE_DEADLINE": absent, "DANGER_LEVEL": json.Number("7")}, // two at once
	}
	body = batchOf(tb, schemas.HiddenDangers, n, func(i int, rec map[string]any) {
		rec["DANGER_SRC"] = fmt.Sprint(i%11 + 1)
		rec["DANGER_LEVEL"] = i % 2
		if i%10 == 9 {
			for k, v := range breaks[(i/10)%len(breaks)] {
				if v == absent {
					delete(rec, k)
				} else {
					rec[k] = v
				}
			}
			invalid++
		}
	})
	return body, invalid
}

// The same batch must get the same verdicts from both, record by record, or
// the comparison measures different work.
func TestV10MatchesTheSeedOnTheBenchmarkBatch(t *testing.T) {
	body, invalid := hiddenDangerBatch(t, 200)
	seed, err := validate.Batch(schemas.HiddenDangers, body, opts())
	require.NoError(t, err)
	got, err := newV10(t).batch(context.WithValue(context.Background(), nowKey{}, now), body)
	require.NoError(t, err)
	require.Len(t, got, len(seed))
	rejected := 0
	for i := range seed {
		assert.Equal(t, seed[i].OK(), got[i].rec != nil, "record %d: seed %+v, v10 %+v", i, seed[i].Errors, got[i].errors)
		if !seed[i].OK() {
			rejected++
			assert.Len(t, got[i].errors, len(seed[i].Errors), "record %d: seed %+v, v10 %+v", i, seed[i].Errors, got[i].errors)
		}
	}
	assert.Equal(t, invalid, rejected)
}

// What v10 cannot say: each record below is judged differently by v10 than by
// the seed's rules, because the difference lies in the JSON, which v10 never
// sees (it validates the struct encoding/json filled).
func TestV10CannotExpressTheSeedsKeyAndBlankRules(t *testing.T) {
	x := newV10(t)
	ctx := context.WithValue(context.Background(), nowKey{}, now)
	for _, tt := range []struct {
		name string
		set  fields
	}{
		// Exact keys: the seed prints 标识符号 in capitals; "danger_name" is an
		// unknown key and DANGER_NAME is missing. encoding/json matches keys
		// without regard to case, so v10 sees a name.
		{"a key in the wrong case", fields{"DANGER_NAME": absent, "danger_name": "液位计失准"}},
		// Blank optional fields are absent for the seed (nothing to check);
		// omitempty skips only "", so v10 checks "   " as a UUID.
		{"a blank optional UUID", fields{"RISK_MEASURE_ID": "   "}},
		// A number field sent as a string with a leading zero is the code 1 to
		// the seed, which reads numbers canonically; to v10 it is the text "01".
		{"a code with a leading zero", fields{"DANGER_MANAGE_TYPE": "01"}},
		// A JSON number where the seed wants a string: one record's type error
		// for the seed, a decode error of that record for encoding/json — the
		// same verdict, but only because batch decodes record by record.
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := body(t, mutate(fixture(t, schemas.HiddenDangers.Slug), tt.set))
			seed, err := validate.Batch(schemas.HiddenDangers, b, opts())
			require.NoError(t, err)
			got, err := x.batch(ctx, b)
			require.NoError(t, err)
			assert.NotEqual(t, seed[0].OK(), got[0].rec != nil, "seed %+v, v10 %+v", seed[0].Errors, got[0].errors)
		})
	}
}

// BenchmarkHiddenDangersSeedTags and BenchmarkHiddenDangersV10 decode and
// validate the same 1,000-record 隐患信息 batch, 10% of it invalid, with bilingual
// errors for the rejected records:
//
//	go test ./validate -run='^$' -bench='HiddenDangers(SeedTags|V10)' -cpu=1 -benchtime=3s
func BenchmarkHiddenDangersSeedTags(b *testing.B) {
	body, invalid := hiddenDangerBatch(b, 1000)
	o := opts()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		vs, err := validate.Batch(schemas.HiddenDangers, body, o)
		if err != nil || len(vs) != 1000 || vs[9].OK() {
			b.Fatalf("unexpected verdicts: %v", err)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "records/s")
	_ = invalid
}

func BenchmarkHiddenDangersV10(b *testing.B) {
	body, _ := hiddenDangerBatch(b, 1000)
	x := newV10(b)
	ctx := context.WithValue(context.Background(), nowKey{}, now)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		vs, err := x.batch(ctx, body)
		if err != nil || len(vs) != 1000 || vs[9].rec != nil {
			b.Fatalf("unexpected verdicts: %v", err)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkHiddenDangersV10StructOnly is v10's share alone: the records are
// decoded once, outside the loop.
func BenchmarkHiddenDangersV10StructOnly(b *testing.B) {
	body, _ := hiddenDangerBatch(b, 1000)
	var recs []hiddenDangerV10
	require.NoError(b, json.Unmarshal(body, &recs))
	x := newV10(b)
	ctx := context.WithValue(context.Background(), nowKey{}, now)
	b.ReportAllocs()
	for b.Loop() {
		for i := range recs {
			if err := x.v.StructCtx(ctx, &recs[i]); err != nil {
				for _, fe := range err.(validator.ValidationErrors) {
					_, _ = fe.Translate(x.zh), fe.Translate(x.en)
				}
			}
		}
	}
	b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "records/s")
}
