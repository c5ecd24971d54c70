package sealed

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Fields names the top-level string fields of a JSON record that hold personal
// data; the record's table name makes each field's sealing context.
type Fields struct {
	Table string   // e.g. "x_enterprise_info"
	Names []string // e.g. PRINCIPAL_MOBILE
}

// SealDoc returns doc with the named fields sealed (masked numbers kept for
// display). Fields absent, empty, not strings or already sealed are left as
// they are, so sealing twice changes nothing.
func (b *Box) SealDoc(f Fields, doc []byte) ([]byte, error) {
	return rewriteDoc(f, doc, func(name, v string) (string, error) {
		if IsSealed(v) || v == "" {
			return v, nil
		}
		return b.SealShown(f.Table+"."+name, v, MaskMobile(v))
	})
}

// OpenDoc returns doc with the named fields opened.
func (b *Box) OpenDoc(f Fields, doc []byte) ([]byte, error) {
	return rewriteDoc(f, doc, func(name, v string) (string, error) { return b.Open(f.Table+"."+name, v) })
}

// DisplayDoc returns doc with every sealed top-level string value replaced by
// its Display form: for pages and feeds, which show masked numbers without
// holding the key.
func DisplayDoc(doc []byte) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return doc
	}
	changed := false
	for k, raw := range m {
		var s string
		if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil && IsSealed(s) {
			m[k], _ = json.Marshal(Display(s))
			changed = true
		}
	}
	if !changed {
		return doc
	}
	out, err := json.Marshal(m)
	if err != nil {
		return doc
	}
	return out
}

func rewriteDoc(f Fields, doc []byte, change func(name, v string) (string, error)) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, fmt.Errorf("sealed: record: %w", err)
	}
	changed := false
	for _, name := range f.Names {
		raw, ok := m[name]
		var v string
		if !ok || len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &v) != nil {
			continue
		}
		nv, err := change(name, v)
		if err != nil {
			return nil, fmt.Errorf("sealed: %s.%s: %w", f.Table, name, err)
		}
		if nv != v {
			m[name], _ = json.Marshal(nv)
			changed = true
		}
	}
	if !changed {
		return doc, nil
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("sealed: record: %w", err)
	}
	return out, nil
}

// sealedToken is a sealed value inside free text (Prefix, shown, ":", base64).
var sealedToken = regexp.MustCompile(regexp.QuoteMeta(Prefix) + `[^:"\s]*:[A-Za-z0-9+/=_-]*`)

// DisplayText replaces every sealed value inside text — a rejected record as it
// was sent, possibly cut short or not JSON at all — by its Display form.
func DisplayText(text string) string {
	if !strings.Contains(text, Prefix) {
		return text
	}
	return sealedToken.ReplaceAllStringFunc(text, Display)
}
