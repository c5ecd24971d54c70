package openapi

import (
	"strconv"

	"github.com/pb33f/go-yaml"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	"github.com/pb33f/libopenapi/orderedmap"

	"github.com/shandong-emergency/chemguard/schemas"
)

// Shorthands over libopenapi's high-level schema model.

func ref(name string) *base.SchemaProxy {
	return base.CreateSchemaProxyRef("#/components/schemas/" + name)
}

func schema(s *base.Schema) *base.SchemaProxy { return base.CreateSchemaProxy(s) }

func typed(desc string, types ...string) *base.SchemaProxy {
	return schema(&base.Schema{Type: types, Description: desc})
}

func str(desc string) *base.SchemaProxy { return typed(desc, "string") }

func integer(desc string) *base.SchemaProxy { return typed(desc, "integer") }

func boolean(desc string) *base.SchemaProxy { return typed(desc, "boolean") }

func arrayOf(items *base.SchemaProxy, desc string) *base.SchemaProxy {
	return schema(&base.Schema{Type: []string{"array"}, Items: &base.DynamicValue[*base.SchemaProxy, bool]{A: items}, Description: desc})
}

// object is an object schema; props alternate name, schema; required names the keys
// a reply always has. Other keys are allowed: a reply may grow a field without
// breaking a client that validates against an older description.
func object(desc string, required []string, props ...any) *base.SchemaProxy {
	m := orderedmap.New[string, *base.SchemaProxy]()
	for i := 0; i+1 < len(props); i += 2 {
		m.Set(props[i].(string), props[i+1].(*base.SchemaProxy))
	}
	return schema(&base.Schema{Type: []string{"object"}, Description: desc, Properties: m, Required: required})
}

func scalars(vals []string) []*yaml.Node {
	out := make([]*yaml.Node, len(vals))
	for i, v := range vals {
		out[i] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	}
	return out
}

// Patterns of the seed's time formats, unanchored.
const (
	dateTimePattern = `\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}`
	datePattern     = `\d{4}-\d{2}-\d{2}`
)

// tableSchema is the JSON Schema of one exchange record, from the registry: the
// seed's keys, kinds, lengths, code tables and required fields. It is a summary
// for integrators and generated clients; the validator (and `chemguard check`)
// applies every rule, including those JSON Schema cannot say (conditional
// fields, GB28181 codes, image bytes, times not in the future).
func tableSchema(t *schemas.Table) *base.SchemaProxy {
	props := orderedmap.New[string, *base.SchemaProxy]()
	var required []string
	for i := range t.Fields {
		f := &t.Fields[i]
		props.Set(f.ID, fieldSchema(f))
		if f.Required {
			required = append(required, f.ID)
		}
	}
	return schema(&base.Schema{Type: []string{"object"}, Title: t.NameZH,
		Description: t.Group + " · " + t.Seed + " · 主键 " + t.Key + " · " + t.Frequency.NameZH,
		Properties:  props, Required: required})
}

func fieldSchema(f *schemas.Field) *base.SchemaProxy {
	desc := f.NameZH
	if f.Note != "" {
		desc += "：" + f.Note
	}
	s := &base.Schema{Description: desc}
	// An optional field may come back empty or null from read-back; a required one
	// never does.
	opt := func(types ...string) []string {
		if !f.Required {
			return append(types, "null")
		}
		return types
	}
	switch f.Kind {
	case schemas.KindChar, schemas.KindText:
		s.Type = opt("string")
		if f.Kind == schemas.KindChar && f.Length > 0 {
			n := int64(f.Length)
			s.MaxLength = &n
		}
	case schemas.KindNumber, schemas.KindDecimal:
		s.Type = opt("number", "string")
		if f.Length > 0 {
			s.Description += "（数值，共 " + strconv.Itoa(f.Length) + " 位"
			if f.Scale > 0 {
				s.Description += "，小数 " + strconv.Itoa(f.Scale) + " 位"
			}
			s.Description += "；JSON 数字或数字字符串）"
		}
	case schemas.KindDateTime:
		s.Type, s.Pattern = opt("string"), anchored(dateTimePattern, f.Required)
		s.Description += "（yyyy-MM-dd HH:mm:ss，北京时间）"
	case schemas.KindDate:
		s.Type, s.Pattern = opt("string"), anchored(datePattern, f.Required)
		s.Description += "（yyyy-MM-dd）"
	case schemas.KindFile:
		s.Type = opt("string")
		s.Description += "（Base64 或 data: URI）"
	}
	if f.Code != nil {
		vals := f.Code.Values()
		if !f.Required {
			vals = append([]string{""}, vals...)
		}
		if f.Kind == schemas.KindChar || f.Kind == schemas.KindText {
			s.Enum = scalars(vals)
			if !f.Required {
				s.Enum = append(s.Enum, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"})
			}
		}
		s.Description += "（代码表：" + f.Code.NameZH + "）"
	}
	return schema(s)
}

// anchored makes an unanchored pattern match the whole value, or an empty one when
// the field is optional.
func anchored(p string, required bool) string {
	if required {
		return "^" + p + "$"
	}
	return "^(" + p + ")?$"
}
