package openapi

import (
	"sort"
	"strconv"
	"strings"

	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// Group is one tag's operations, for a page that renders the description.
type Group struct {
	Tag        string
	Operations []Operation
}

// Operation is one operation as a page shows it.
type Operation struct {
	Method, Path, Summary, Description string
	Auth                               string // 企业 API 密钥, 登录会话, or empty
	Params                             []Param
	Body                               string // the request body's schema, in words
	Responses                          []Response
}

// Param is one parameter.
type Param struct {
	Name, In, Type, Description string
	Required                    bool
}

// Response is one documented status.
type Response struct {
	Code, Description, Schema string
}

// SchemaView is one component schema with its properties.
type SchemaView struct {
	Name, Title, Description string
	Properties               []Param
}

// Groups walks the description's paths into tag groups, in path order.
func (d *Description) Groups() []Group {
	var groups []Group
	index := map[string]int{}
	for path, item := range d.Doc.Paths.PathItems.FromOldest() {
		for _, m := range []struct {
			method string
			op     *v3.Operation
		}{{"GET", item.Get}, {"POST", item.Post}, {"PUT", item.Put}, {"DELETE", item.Delete}, {"PATCH", item.Patch}} {
			if m.op == nil {
				continue
			}
			tag := strings.Join(m.op.Tags, "、")
			i, ok := index[tag]
			if !ok {
				i = len(groups)
				index[tag] = i
				groups = append(groups, Group{Tag: tag})
			}
			groups[i].Operations = append(groups[i].Operations, operationView(m.method, path, m.op))
		}
	}
	return groups
}

func operationView(method, path string, o *v3.Operation) Operation {
	v := Operation{Method: method, Path: path, Summary: o.Summary, Description: o.Description}
	for _, s := range o.Security {
		for name := range s.Requirements.KeysFromOldest() {
			switch name {
			case "apiKey":
				v.Auth = "企业 API 密钥"
			case "session":
				v.Auth = "登录会话"
			}
		}
	}
	for _, p := range o.Parameters {
		v.Params = append(v.Params, Param{Name: p.Name, In: p.In, Type: typeOf(p.Schema), Description: p.Description,
			Required: p.Required != nil && *p.Required})
	}
	if o.RequestBody != nil && o.RequestBody.Content != nil {
		for _, mt := range o.RequestBody.Content.FromOldest() {
			v.Body = describe(mt.Schema)
		}
	}
	for code, r := range o.Responses.Codes.FromOldest() {
		rv := Response{Code: code, Description: r.Description}
		if r.Content != nil {
			for ct, mt := range r.Content.FromOldest() {
				rv.Schema = ct
				if mt.Schema != nil {
					rv.Schema = describe(mt.Schema)
				}
			}
		}
		v.Responses = append(v.Responses, rv)
	}
	return v
}

// Schemas lists the component schemas (the error, the upload reply, every exchange
// record) with their properties.
func (d *Description) Schemas() []SchemaView {
	var out []SchemaView
	for name, sp := range d.Doc.Components.Schemas.FromOldest() {
		s := sp.Schema()
		if s == nil {
			continue
		}
		v := SchemaView{Name: name, Title: s.Title, Description: s.Description}
		required := map[string]bool{}
		for _, r := range s.Required {
			required[r] = true
		}
		if s.Properties != nil {
			for pname, p := range s.Properties.FromOldest() {
				ps := p.Schema()
				desc := ""
				if ps != nil {
					desc = ps.Description
				}
				v.Properties = append(v.Properties, Param{Name: pname, Type: typeOf(p), Description: desc, Required: required[pname]})
			}
		}
		out = append(out, v)
	}
	return out
}

// resolve names a referenced schema (ref) or returns the inline one (s); both are
// empty for nothing.
func resolve(sp *base.SchemaProxy) (ref string, s *base.Schema) {
	if sp == nil {
		return "", nil
	}
	if sp.IsReference() {
		return strings.TrimPrefix(sp.GetReference(), "#/components/schemas/"), nil
	}
	return "", sp.Schema()
}

// describe says what a body is: a schema's name, an array of one, an object's keys,
// or its type.
func describe(sp *base.SchemaProxy) string {
	ref, s := resolve(sp)
	if s == nil {
		return ref
	}
	if len(s.Type) > 0 && s.Type[0] == "array" && s.Items != nil && s.Items.A != nil {
		return describe(s.Items.A) + " 数组"
	}
	if s.Properties != nil {
		var keys []string
		for k := range s.Properties.KeysFromOldest() {
			keys = append(keys, k)
		}
		return "{" + strings.Join(keys, ", ") + "}"
	}
	return typeOf(sp)
}

// typeOf is a schema's type in short: its JSON types, length bound and values.
func typeOf(sp *base.SchemaProxy) string {
	ref, s := resolve(sp)
	if s == nil {
		return ref
	}
	types := append([]string(nil), s.Type...)
	sort.Strings(types)
	t := strings.Join(types, " | ")
	if s.MaxLength != nil {
		t += " ≤" + strconv.FormatInt(*s.MaxLength, 10)
	}
	if len(s.Enum) > 0 {
		var vals []string
		for _, n := range s.Enum {
			if n.Tag != "!!null" {
				vals = append(vals, n.Value)
			}
		}
		if len(vals) > 12 {
			vals = append(vals[:12], "…")
		}
		t += " ∈ {" + strings.Join(vals, ", ") + "}"
	}
	return t
}
