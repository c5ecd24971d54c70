package validate_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// now is the fixed clock every test validates against: 2021-09-10 12:00 in Jinan.
var now = time.Date(2021, 9, 10, 12, 0, 0, 0, schemas.Shanghai)

func opts() validate.Options { return validate.Options{Now: now} }

// absent, as a value in fields, deletes the key from the record.
var absent = &struct{ name string }{"absent"}

// fields are replacements applied to a fixture record.
type fields map[string]any

// ruleCase is one mutation of a table's valid fixture and what it must produce:
// rule "" means the record is accepted, otherwise exactly one error of rule on field.
type ruleCase struct {
	name  string
	set   fields
	rule  validate.Rule
	field string
}

// fixture returns the valid record of the table from testdata/valid/<slug>.json,
// decoded with json.Number so numbers keep their text.
func fixture(tb testing.TB, slug string) map[string]any {
	tb.Helper()
	recs := fixtureBatch(tb, slug)
	require.Len(tb, recs, 1, "fixture %s", slug)
	return recs[0]
}

func fixtureBatch(tb testing.TB, slug string) []map[string]any {
	tb.Helper()
	b := readTestdata(tb, filepath.Join("valid", slug+".json"))
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var recs []map[string]any
	require.NoError(tb, dec.Decode(&recs), "fixture %s", slug)
	return recs
}

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(tb, err)
	return b
}

// b64File is a testdata/files file as standard base64.
func b64File(tb testing.TB, name string) string {
	tb.Helper()
	return base64.StdEncoding.EncodeToString(readTestdata(tb, filepath.Join("files", name)))
}

// mutate returns a copy of rec with set applied.
func mutate(rec map[string]any, set fields) map[string]any {
	out := make(map[string]any, len(rec)+len(set))
	for k, v := range rec {
		out[k] = v
	}
	for k, v := range set {
		if v == absent {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

func body(tb testing.TB, recs ...map[string]any) []byte {
	tb.Helper()
	b, err := json.Marshal(recs)
	require.NoError(tb, err)
	return b
}

// one validates a batch of the single record rec against t.
func one(tb testing.TB, t *schemas.Table, rec map[string]any) validate.Verdict {
	tb.Helper()
	vs, err := validate.Batch(t, body(tb, rec), opts())
	require.NoError(tb, err)
	require.Len(tb, vs, 1)
	return vs[0]
}

// check runs c against the fixture of t and asserts its outcome.
func check(tb testing.TB, t *schemas.Table, c ruleCase) {
	tb.Helper()
	v := one(tb, t, mutate(fixture(tb, t.Slug), c.set))
	if c.rule == "" {
		requireAccepted(tb, t, v)
		return
	}
	requireRejected(tb, v, c.rule, c.field)
}

func requireAccepted(tb testing.TB, t *schemas.Table, v validate.Verdict) {
	tb.Helper()
	require.Empty(tb, v.Errors, "the record must be accepted")
	require.True(tb, v.OK())
	require.NotNil(tb, v.Record)
	assert.IsType(tb, t.New(), v.Record)
	assert.Nil(tb, v.Raw, "accepted records carry no raw evidence")
	b, err := json.Marshal(v.Record)
	require.NoError(tb, err, "an accepted record must marshal to JSON")
	require.True(tb, json.Valid(b))
}

// requireRejected asserts exactly one error, of rule on field, with both messages
// naming the field.
func requireRejected(tb testing.TB, v validate.Verdict, rule validate.Rule, field string) {
	tb.Helper()
	require.Len(tb, v.Errors, 1, "want exactly one error %s on %s, got %+v", rule, field, v.Errors)
	e := v.Errors[0]
	assert.Equal(tb, rule, e.Rule, "rule; error %+v", e)
	assert.Equal(tb, field, e.Field, "field; error %+v", e)
	assert.Equal(tb, v.Index, e.Index)
	assert.Equal(tb, v.ID, e.ID)
	assertMessages(tb, e, field)
	assert.False(tb, v.OK())
	assert.Nil(tb, v.Record, "a rejected record is not handed on")
	assert.NotEmpty(tb, v.Raw, "a rejected record keeps its JSON as evidence")
}

func assertMessages(tb testing.TB, e validate.FieldError, field string) {
	tb.Helper()
	assert.NotEmpty(tb, e.MessageZH)
	assert.NotEmpty(tb, e.MessageEN)
	if field != "" {
		assert.Contains(tb, e.MessageZH, field)
		assert.Contains(tb, e.MessageEN, field)
	}
}

func runCases(t *testing.T, table *schemas.Table, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { check(t, table, c) })
	}
}

// runTables runs each table's cases, failing for a table that has none: every
// table of tables must have examples.
func runTables(t *testing.T, tables []*schemas.Table, cases map[string][]ruleCase) {
	t.Helper()
	for _, table := range tables {
		t.Run(table.Slug, func(t *testing.T) {
			cs, ok := cases[table.Slug]
			if !ok {
				t.Fatalf("no examples for %s", table.Slug)
			}
			runCases(t, table, cs)
		})
	}
}

// Short names of the rules, so a table of cases reads one case a line.
const (
	code       = validate.RuleCode
	required   = validate.RuleRequired
	when       = validate.RuleRequiredWhen
	order      = validate.RuleOrder
	length     = validate.RuleLength
	typ        = validate.RuleType
	number     = validate.RuleNumber
	precision  = validate.RulePrecision
	rng        = validate.RuleRange
	gb28181    = validate.RuleGB28181
	phone      = validate.RulePhone
	mobile     = validate.RuleMobile
	uuid       = validate.RuleUUID
	future     = validate.RuleFuture
	dateTime   = validate.RuleDateTime
	date       = validate.RuleDate
	codeParent = validate.RuleCodeParent
	thresholds = validate.RuleThresholdOrder
)

func chars(n int) string { return strings.Repeat("危", n) }

// pngOfSize returns a real PNG of exactly size bytes: a small noise image whose
// length is made up by a private ancillary chunk before IEND, which decoders skip.
func pngOfSize(tb testing.TB, size int) []byte {
	tb.Helper()
	img := noise(tb, 16, 16)
	const chunkOverhead = 12 // length, type, CRC
	pad := size - len(img) - chunkOverhead
	require.GreaterOrEqual(tb, pad, 0, "size %d is below the image's own %d bytes", size, len(img))
	iend := len(img) - 12
	chunk := make([]byte, chunkOverhead+pad)
	binary.BigEndian.PutUint32(chunk, uint32(pad))
	copy(chunk[4:], "prVt")
	binary.BigEndian.PutUint32(chunk[8+pad:], crc32.ChecksumIEEE(chunk[4:8+pad]))
	out := append(append(append([]byte{}, img[:iend]...), chunk...), img[iend:]...)
	require.Len(tb, out, size)
	_, err := png.Decode(bytes.NewReader(out))
	require.NoError(tb, err, "the padded PNG must still decode")
	return out
}

// noise encodes a w×h PNG of random pixels, which does not compress: about 4·w·h bytes.
func noise(tb testing.TB, w, h int) []byte {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(r.Uint32())
	}
	m.Set(0, 0, color.NRGBA{255, 0, 0, 255})
	var b bytes.Buffer
	require.NoError(tb, png.Encode(&b, m))
	return b.Bytes()
}

// mimeWrap breaks base64 text into 76-character CRLF lines, as mail clients do.
func mimeWrap(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}
