// Package exchangecheck is `chemguard check`: an exchange batch validated offline —
// files, a directory of them or stdin — by the function the server runs before
// publishing, reported as text for a person or as the server's JSON reply.
package exchangecheck

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/ingest"
	"github.com/shandong-emergency/chemguard/schemas"
)

// Usage is the command line of `chemguard check`, for chemguard's help.
const Usage = `  chemguard check [--company CODE] [--json] TABLE FILE|DIR|-
                                       validate an exchange batch offline, exactly as POST /api/v1/exchange/TABLE would (exit 1 when refused)
`

// ErrRefused makes `check` exit 1 after printing its findings: a record or a
// file was refused, which is an answer, not a failure of the command.
var ErrRefused = errors.New("check: refused")

// Main is `chemguard check TABLE FILE|DIR|-` (args are what follows check): the
// exchange validation of POST /api/v1/exchange/TABLE, offline. It runs
// ingest.Config.Check — the function the server runs before publishing — so the
// verdicts and bilingual messages are the server's own; no server, broker or
// database is involved. It returns ErrRefused when a record or file was refused.
func Main(args []string, stdin io.Reader, stdout io.Writer, now time.Time) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stdout)
	company := fs.String("company", "", "企业编码：also refuse records carrying another COMPANY_CODE, as the server does for that company's key")
	asJSON := fs.Bool("json", false, "print the server's JSON reply (one per file) instead of text")
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: chemguard check [--company CODE] [--json] TABLE FILE|DIR|-")
		fmt.Fprintln(stdout, "  TABLE is the exchange table's slug (risk-units, hidden-dangers, video-alarms …); DIR checks every *.json in it; - reads stdin")
		fs.PrintDefaults()
	}
	if err := fs.Parse(reorderFlags(args)); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return fmt.Errorf("check: want TABLE and FILE, got %d arguments", fs.NArg())
	}
	t, err := schemas.Lookup(fs.Arg(0))
	if err != nil {
		var slugs []string
		for _, tb := range schemas.Tables() {
			slugs = append(slugs, tb.Slug)
		}
		return fmt.Errorf("check: %s; tables: %s", messageOf(err), strings.Join(slugs, ", "))
	}
	files, err := inputs(fs.Arg(1))
	if err != nil {
		return err
	}
	cfg := ingest.Config{}
	refused := false
	for _, name := range files {
		var body []byte
		if name == "-" {
			body, err = io.ReadAll(stdin)
		} else {
			body, err = os.ReadFile(name)
		}
		if err != nil {
			return fmt.Errorf("check: read %s: %w", name, err)
		}
		reply, _, err := cfg.Check(t, *company, body, now)
		if err != nil || reply.Rejected > 0 {
			refused = true
		}
		if *asJSON {
			printJSON(stdout, name, reply, err)
			continue
		}
		printText(stdout, name, reply, err)
	}
	if refused {
		return ErrRefused
	}
	return nil
}

// reorderFlags lets flags follow the positional arguments (check TABLE FILE --json).
func reorderFlags(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-" || !strings.HasPrefix(a, "-"):
			rest = append(rest, a)
		case a == "--company" || a == "-company":
			flags = append(flags, a)
			if i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		default:
			flags = append(flags, a)
		}
	}
	return append(flags, rest...)
}

// inputs expands a directory to its *.json files, sorted.
func inputs(arg string) ([]string, error) {
	if arg == "-" {
		return []string{"-"}, nil
	}
	st, err := os.Stat(arg)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	if !st.IsDir() {
		return []string{arg}, nil
	}
	files, err := filepath.Glob(filepath.Join(arg, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("check: no *.json file in %s", arg)
	}
	sort.Strings(files)
	return files, nil
}

func messageOf(err error) string {
	var ae *chemguard.Error
	if errors.As(err, &ae) {
		return ae.MessageZH + " / " + ae.MessageEN
	}
	return err.Error()
}

// printText writes one file's verdict the way a person reads it: a summary line,
// then every refused record's errors in both languages.
func printText(w io.Writer, name string, reply *ingest.BatchReply, err error) {
	if err != nil {
		var ae *chemguard.Error
		if errors.As(err, &ae) {
			fmt.Fprintf(w, "%s: 整批拒收 batch refused (%s)\n  %s\n  %s\n", name, ae.Code, ae.MessageZH, ae.MessageEN)
			return
		}
		fmt.Fprintf(w, "%s: %v\n", name, err)
		return
	}
	fmt.Fprintf(w, "%s: %s 接收 %d 条，拒收 %d 条 (accepted %d, rejected %d)\n", name, reply.Table, reply.Accepted, reply.Rejected, reply.Accepted, reply.Rejected)
	for _, r := range reply.Results {
		for _, e := range r.Errors {
			fmt.Fprintf(w, "  第 %d 条 record %d%s  %s [%s]\n    %s\n    %s\n", r.Index, r.Index, idOf(r.ID), e.Field, e.Rule, e.MessageZH, e.MessageEN)
		}
		for _, e := range r.Warnings {
			fmt.Fprintf(w, "  第 %d 条 record %d%s  提示 warning [%s] %s / %s\n", r.Index, r.Index, idOf(r.ID), e.Rule, e.MessageZH, e.MessageEN)
		}
	}
}

func idOf(id string) string {
	if id == "" {
		return ""
	}
	return " (" + id + ")"
}

// printJSON writes the body the server would answer: the reply, or {"error": …}.
func printJSON(w io.Writer, name string, reply *ingest.BatchReply, err error) {
	var v any = reply
	if err != nil {
		body := map[string]any{"code": chemguard.ErrorCode(err), "message_zh": "", "message_en": err.Error()}
		var ae *chemguard.Error
		if errors.As(err, &ae) {
			body = map[string]any{"code": ae.Code, "message_zh": ae.MessageZH, "message_en": ae.MessageEN}
			if ae.Details != nil {
				body["details"] = ae.Details
			}
		}
		v = map[string]any{"error": body}
	}
	b, _ := json.Marshal(map[string]any{"file": name, "reply": v})
	fmt.Fprintln(w, string(b))
}
