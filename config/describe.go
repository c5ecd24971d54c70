package config

import (
	"fmt"
	"reflect"
	"strings"
)

// Variable describes one environment variable of Config.
type Variable struct {
	Name     string // CHEMGUARD_…
	Default  string // as a reader sees it; "" when there is none
	Literal  bool   // Default is the value itself (envDefault), not a description of it
	Help     string // what it means
	Required bool
	Field    string // the Go field that holds it
}

// Variables lists every variable of Config in the struct's order.
func Variables() []Variable {
	var out []Variable
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("env"), ",")
			if name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if name == "" || name == "-" {
				continue
			}
			def, literal := f.Tag.Lookup("envDefault")
			if !literal {
				def = f.Tag.Get("shown")
			}
			out = append(out, Variable{Name: name, Default: def, Literal: literal, Help: f.Tag.Get("help"),
				Required: strings.Contains(opts, "required"), Field: f.Name})
		}
	}
	walk(reflect.TypeOf(Config{}))
	return out
}

// Usage is the variables as the command's help lists them.
func Usage() string {
	var b strings.Builder
	for _, v := range Variables() {
		fmt.Fprintf(&b, "  %-36s %s%s\n", v.Name, v.Help, defaultNote(v))
	}
	return b.String()
}

func defaultNote(v Variable) string {
	switch {
	case v.Required, v.Default == "":
		return ""
	default:
		return " (default " + v.Default + ")"
	}
}

// Markdown is the table of docs/configuration.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n| --- | --- | --- |\n")
	for _, v := range Variables() {
		def := v.Default
		switch {
		case v.Required:
			def = "required"
		case def == "":
			def = "—"
		case v.Literal:
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.Name, def, strings.ReplaceAll(v.Help, "|", `\|`))
	}
	return b.String()
}
