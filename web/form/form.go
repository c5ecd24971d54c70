// Package form checks the forms and JSON commands people send to the web
// pages and the API — 巡查检查 records, 整改通知, administration commands,
// login and password changes, warning disposal — with one go-playground
// validator and its Chinese translations. A refusal is a chemguard.Error
// (invalid) listing every failing field with a Chinese and an English message,
// the field named by its Chinese label (the `label` struct tag) in Chinese and
// by the key the client sent (the `json` or `form` tag) in English.
//
// The exchange tables are not checked here: package validate owns them.
package form

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-playground/locales/en"
	"github.com/go-playground/locales/zh"
	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
	en_translations "github.com/go-playground/validator/v10/translations/en"
	zh_translations "github.com/go-playground/validator/v10/translations/zh"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/tiers"
)

// FieldError is one reason a form was refused. Field is the key the client
// sent (a form field or JSON key); Rule the validation tag that failed.
type FieldError struct {
	Field     string `json:"field"`
	Rule      string `json:"rule"`
	MessageZH string `json:"message_zh"`
	MessageEN string `json:"message_en"`
}

// mobilePattern is a mainland mobile number (11 digits from 13–19), as the
// accounts' mobile numbers are stored.
var mobilePattern = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// rules are the validations the forms need beyond validator's own, each with
// its message in both languages ({0} is the field).
var rules = []struct {
	tag    string
	check  validator.Func
	zh, en string
}{
	{"notblank", func(fl validator.FieldLevel) bool { return strings.TrimSpace(fl.Field().String()) != "" },
		"{0}为必填项，不能只有空白", "{0} is required and cannot be blank"},
	{"company_code", func(fl validator.FieldLevel) bool { return tiers.ValidCompanyCode(fl.Field().String()) },
		"{0}须为 1～36 位数字或英文字母（不含 / 等符号）", "{0} must be a company code: 1-36 digits or ASCII letters (no / or other symbols)"},
	{"park_code", func(fl validator.FieldLevel) bool { return tiers.ValidParkCode(fl.Field().String()) },
		"{0}须为 1～36 位数字或英文字母（不含 / 等符号）", "{0} must be a park code: 1-36 digits or ASCII letters (no / or other symbols)"},
	{"division_code", func(fl validator.FieldLevel) bool {
		_, ok := tiers.DivisionByCode(fl.Field().String())
		return ok
	}, "{0}须为山东省的行政区划代码（GB/T 2260），如 370102", "{0} must be a Shandong division code (GB/T 2260), like 370102"},
	{"city_or_county", func(fl validator.FieldLevel) bool {
		d, ok := tiers.DivisionByCode(fl.Field().String())
		return ok && d.Level != tiers.Province
	}, "{0}须为山东省的市或区县（GB/T 2260），如 370500 东营市", "{0} must be a Shandong city or county (GB/T 2260), like 370500"},
	{"county_code", func(fl validator.FieldLevel) bool { return tiers.IsCounty(fl.Field().String()) },
		"{0}须为山东省的县级行政区划代码（GB/T 2260），如 370102 历下区", "{0} must be a Shandong county code (GB/T 2260), like 370102"},
	{"mobile_cn", func(fl validator.FieldLevel) bool { return mobilePattern.MatchString(fl.Field().String()) },
		"{0}须为 11 位大陆手机号", "{0} must be a mainland mobile number (11 digits starting 13-19)"},
}

// The one validator and its translators. validator.Validate is safe for
// concurrent use once its rules are registered, which init does.
var (
	validate = validator.New(validator.WithRequiredStructEnabled())
	transZH  ut.Translator
	transEN  ut.Translator
)

func init() {
	// The label names a field in the Chinese messages (validator puts this name
	// in every translation); a field without one is named by its key.
	validate.RegisterTagNameFunc(func(f reflect.StructField) string {
		if l := f.Tag.Get("label"); l != "" {
			return l
		}
		return keyOf(f)
	})
	uni := ut.New(zh.New(), zh.New(), en.New())
	transZH, _ = uni.GetTranslator("zh")
	transEN, _ = uni.GetTranslator("en")
	must(zh_translations.RegisterDefaultTranslations(validate, transZH))
	must(en_translations.RegisterDefaultTranslations(validate, transEN))
	for _, r := range rules {
		registered[r.tag] = true
		register(r.tag, r.check, r.zh, r.en)
	}
}

func register(tag string, check validator.Func, zh, en string) {
	must(validate.RegisterValidation(tag, check))
	must(validate.RegisterTranslation(tag, transZH, registerText(tag, zh), translate))
	must(validate.RegisterTranslation(tag, transEN, registerText(tag, en), translate))
}

// Register adds the rule tag for string fields: valid reports whether a value
// passes; zh and en are the refusal ({0} is the field). It lets the package that
// owns a set of values (the kinds of a record, the actions on a warning) state
// it once, with its own wording. Call it only from an init function: the
// validator must not change while forms are checked. A tag registered twice
// panics.
func Register(tag string, valid func(string) bool, zh, en string) {
	if _, dup := registered[tag]; dup {
		panic("form: rule " + tag + " registered twice")
	}
	registered[tag] = true
	register(tag, func(fl validator.FieldLevel) bool { return valid(fl.Field().String()) }, zh, en)
}

// registered are the tags Register added.
var registered = map[string]bool{}

func must(err error) {
	if err != nil {
		panic("form: " + err.Error())
	}
}

func registerText(tag, text string) validator.RegisterTranslationsFunc {
	return func(t ut.Translator) error { return t.Add(tag, text, true) }
}

func translate(t ut.Translator, fe validator.FieldError) string {
	msg, err := t.T(fe.Tag(), fe.Field())
	if err != nil {
		return fe.Error()
	}
	return msg
}

// keyOf is the name a client sends a field by: its form tag (HTML forms), else
// its json tag, else the Go name.
func keyOf(f reflect.StructField) string {
	for _, tag := range []string{"form", "json"} {
		if name, _, _ := strings.Cut(f.Tag.Get(tag), ","); name != "" && name != "-" {
			return name
		}
	}
	return f.Name
}

// Fields validates v like Check and returns the failing fields, nil when
// there are none: for a form whose other parts are checked by hand, so one
// answer lists every problem.
func Fields(v any) []FieldError {
	var ce *chemguard.Error
	if errors.As(Check(v), &ce) {
		return ce.Details.([]FieldError)
	}
	return nil
}

// Check validates v, a struct or a pointer to one, by its `validate` tags. It
// returns nil, or a *chemguard.Error with code EInvalid whose Details are a
// []FieldError for every failing field, in the struct's order, and whose
// messages join theirs. A v that is not a struct is a programming error and
// panics, as validator does.
func Check(v any) error {
	err := validate.Struct(v)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		panic(fmt.Sprintf("form: check %T: %v", v, err))
	}
	fields := make([]FieldError, 0, len(ves))
	zhs, ens := make([]string, 0, len(ves)), make([]string, 0, len(ves))
	for _, fe := range ves {
		key, parent := keyAt(v, fe.StructNamespace())
		f := FieldError{Field: key, Rule: fe.Tag(), MessageZH: fe.Translate(transZH)}
		// The English translations name the field as validator does, by its
		// Chinese label: name it by the key the client sent instead.
		f.MessageEN = strings.Replace(fe.Translate(transEN), fe.Field(), f.Field, 1)
		if other, ok := otherField(parent, fe); ok {
			// validator names the other field by its Go name: name it as this one is.
			label := other.Tag.Get("label")
			if label == "" {
				label = keyOf(other)
			}
			f.MessageZH = fe.Field() + "与" + label + "不一致"
			f.MessageEN = f.Field + " must equal " + keyOf(other)
		}
		fields = append(fields, f)
		zhs, ens = append(zhs, f.MessageZH), append(ens, f.MessageEN)
	}
	return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: strings.Join(zhs, "；"),
		MessageEN: strings.Join(ens, "; "), Details: fields}
}

// otherField is the field an eqfield rule compares with, in parent.
func otherField(parent reflect.Type, fe validator.FieldError) (reflect.StructField, bool) {
	if fe.Tag() != "eqfield" || parent.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	return parent.FieldByName(fe.Param())
}

// keyAt is the client's key of the field at ns ("loginForm.Username",
// "record.Items[2].Note"), the keys of nested fields joined with dots, and
// the struct type that holds the field.
func keyAt(v any, ns string) (string, reflect.Type) {
	t := reflect.TypeOf(v)
	parent := t
	parts := strings.Split(ns, ".")[1:] // the first is the type's own name
	keys := make([]string, 0, len(parts))
	for _, p := range parts {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		name, index, _ := strings.Cut(p, "[")
		if t.Kind() != reflect.Struct {
			return strings.Join(append(keys, p), "."), parent
		}
		f, ok := t.FieldByName(name)
		if !ok {
			return strings.Join(append(keys, p), "."), parent
		}
		parent = t
		key := keyOf(f)
		if index != "" {
			key += "[" + index
		}
		keys = append(keys, key)
		t = f.Type
	}
	return strings.Join(keys, "."), parent
}
