package governance_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/governance"
)

// docTable returns the body rows of the table between <!-- governance:name --> and
// <!-- /governance:name --> in docs/governance.md, cells trimmed of spaces, back
// quotes and bold marks.
func docTable(tb testing.TB, name string) [][]string {
	tb.Helper()
	b, err := os.ReadFile("../docs/governance.md")
	require.NoError(tb, err)
	doc := string(b)
	start := strings.Index(doc, "<!-- governance:"+name+" -->")
	end := strings.Index(doc, "<!-- /governance:"+name+" -->")
	require.True(tb, start >= 0 && end > start, "table %s in docs/governance.md", name)
	var rows [][]string
	for i, line := range strings.Split(strings.TrimSpace(doc[start:end]), "\n")[1:] {
		if i < 2 { // header and separator
			continue
		}
		line = strings.Trim(strings.TrimSpace(line), "|")
		var cells []string
		for _, c := range strings.Split(line, "|") {
			cells = append(cells, strings.Trim(strings.TrimSpace(c), "`*"))
		}
		rows = append(rows, cells)
	}
	require.NotEmpty(tb, rows, "table %s", name)
	return rows
}

func num(tb testing.TB, s string) float64 {
	tb.Helper()
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(tb, err, "number %q", s)
	return v
}

// The document's weights are the code's: every dimension and fact kind, in both
// directions.
func TestDocWeightsMatchConfig(t *testing.T) {
	cfg := governance.DefaultConfig()
	dims := docTable(t, "dimensions")
	require.Len(t, dims, len(governance.Dimensions))
	for i, row := range dims {
		d := governance.Dimension(row[0])
		assert.Equal(t, governance.Dimensions[i], d, "order")
		assert.Equal(t, d.NameZH(), row[1])
		assert.Equal(t, cfg.Dimensions[d], num(t, row[2]), "weight of %s", d)
	}
	kinds := docTable(t, "kinds")
	require.Len(t, kinds, len(governance.Kinds), "every kind is documented, and no other")
	for i, row := range kinds {
		k := governance.Kind(row[0])
		assert.Equal(t, governance.Kinds[i], k, "order")
		r, ok := cfg.Kinds[k]
		require.True(t, ok, "kind %s", k)
		assert.Equal(t, r.NameZH, row[1], "%s", k)
		assert.Equal(t, string(r.Dimension), row[2], "%s", k)
		assert.Equal(t, r.PerFact, num(t, row[3]), "%s per fact", k)
		assert.Equal(t, r.PerHour, num(t, row[4]), "%s per hour", k)
		assert.Equal(t, r.Cap, num(t, row[5]), "%s cap", k)
	}
}

func TestDocLimitsMatchConfig(t *testing.T) {
	l := governance.DefaultConfig().Limits
	want := map[string]time.Duration{"commitment_due": l.CommitmentDue, "readings_offline_after": l.ReadingsOfflineAfter,
		"indicator_offline_after": l.IndicatorOfflineAfter, "device_offline_after": l.DeviceOfflineAfter,
		"system_offline_after": l.SystemOfflineAfter, "upload_grace": l.UploadGrace, "intake_gap": l.IntakeGap, "stuck_after": l.StuckAfter,
		"future_skew": l.FutureSkew, "behind_after": l.BehindAfter, "never_sent_after": l.NeverSentAfter}
	for src, d := range l.AlarmClearAfter {
		want["alarm_clear_after."+src] = d
	}
	rows := docTable(t, "limits")
	got := map[string]time.Duration{}
	for _, row := range rows {
		d, err := time.ParseDuration(row[1])
		require.NoError(t, err)
		got[row[0]] = d
	}
	assert.Equal(t, want, got)
}

// exampleFacts builds the worked example's facts from the document's own table.
func exampleFacts(tb testing.TB) []governance.Fact {
	var facts []governance.Fact
	for _, row := range docTable(tb, "example-facts") {
		fact := governance.Fact{ID: row[0] + "/" + row[1], Company: "C1", Kind: governance.Kind(row[0]), Subject: row[1],
			Started: at(tb, row[2]+":00")}
		if row[3] != "" {
			fact.Ended = at(tb, row[3]+":00")
		}
		facts = append(facts, fact)
	}
	return facts
}

// The worked example of docs/governance.md, recomputed by the code.
func TestDocWorkedExample(t *testing.T) {
	cfg := governance.DefaultConfig()
	facts := exampleFacts(t)
	s := governance.ScoreDay(&cfg, "C1", at(t, "12:00:00"), atDay(t, "2021-06-02", "09:00:00"), facts)
	rows := docTable(t, "example-score")
	for i, d := range s.Dimensions {
		assert.Equal(t, string(d.Dimension), rows[i][0])
		assert.InDelta(t, num(t, rows[i][1]), d.Score, 1e-9, "dimension %s", d.Dimension)
	}
	assert.Equal(t, "total", rows[len(rows)-1][0])
	assert.Equal(t, num(t, rows[len(rows)-1][1]), s.Score)
	assert.Equal(t, "2021-06-01", s.Day)
	assert.Len(t, s.Deductions, len(facts))

	noon := docTable(t, "example-noon")
	s = governance.ScoreDay(&cfg, "C1", at(t, "12:00:00"), at(t, noon[0][0]+":00"), facts)
	assert.Equal(t, num(t, noon[0][1]), s.Score)
}
