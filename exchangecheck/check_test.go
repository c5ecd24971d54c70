package exchangecheck

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var checkNow = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// fixtureBody reads the seed-based valid fixture of table and lets edit change its
// first record.
func fixtureBody(t *testing.T, table string, edit func(map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "validate", "testdata", "valid", table+".json"))
	require.NoError(t, err)
	var recs []map[string]any
	require.NoError(t, json.Unmarshal(b, &recs))
	if edit != nil {
		edit(recs[0])
	}
	out, err := json.MarshalIndent(recs, "", "  ")
	require.NoError(t, err)
	return out
}

func runCheck(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Main(args, bytes.NewReader(stdin), &out, checkNow)
	return out.String(), err
}

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "a-good.json")
	bad := filepath.Join(dir, "b-bad.json")
	require.NoError(t, os.WriteFile(good, fixtureBody(t, "special-operations", nil), 0o600))
	require.NoError(t, os.WriteFile(bad, fixtureBody(t, "special-operations", func(r map[string]any) {
		r["MAJOR_PERSON_MOBILE"] = "0531-88881234"
	}), 0o600))

	t.Run("a valid file", func(t *testing.T) {
		out, err := runCheck(t, nil, "special-operations", good)
		require.NoError(t, err, out)
		assert.Contains(t, out, "接收 1 条，拒收 0 条")
	})
	t.Run("a refused record: field, rule and both languages", func(t *testing.T) {
		out, err := runCheck(t, nil, "special-operations", bad)
		require.ErrorIs(t, err, ErrRefused)
		assert.Contains(t, out, "拒收 1 条")
		assert.Contains(t, out, "MAJOR_PERSON_MOBILE [mobile]")
		assert.Contains(t, out, "不是有效的手机号")
		assert.Contains(t, out, "is not a mobile number")
	})
	t.Run("a directory", func(t *testing.T) {
		out, err := runCheck(t, nil, "special-operations", dir)
		require.ErrorIs(t, err, ErrRefused)
		assert.Less(t, strings.Index(out, "a-good.json"), strings.Index(out, "b-bad.json"), out)
	})
	t.Run("stdin with a BOM", func(t *testing.T) {
		out, err := runCheck(t, append([]byte("\xEF\xBB\xBF"), fixtureBody(t, "special-operations", nil)...), "special-operations", "-")
		require.NoError(t, err, out)
		assert.Contains(t, out, "-: special-operations 接收 1 条")
	})
	t.Run("malformed JSON", func(t *testing.T) {
		out, err := runCheck(t, []byte("[\n{\"ID\": 1,,}]"), "special-operations", "-")
		require.ErrorIs(t, err, ErrRefused)
		assert.Contains(t, out, "整批拒收")
		assert.Contains(t, out, "第 2 行第 10 列")
	})
	t.Run("json output is the server's reply", func(t *testing.T) {
		out, err := runCheck(t, nil, "special-operations", bad, "--json")
		require.ErrorIs(t, err, ErrRefused)
		var line struct {
			File  string `json:"file"`
			Reply struct {
				Table    string `json:"table"`
				Accepted int    `json:"accepted"`
				Rejected int    `json:"rejected"`
				Results  []struct {
					Status string `json:"status"`
					Errors []struct {
						Field, Rule, MessageZH string
					} `json:"errors"`
				} `json:"results"`
			} `json:"reply"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &line), out)
		assert.Equal(t, 1, line.Reply.Rejected)
		assert.Equal(t, "rejected", line.Reply.Results[0].Status)
		assert.Equal(t, "MAJOR_PERSON_MOBILE", line.Reply.Results[0].Errors[0].Field)
	})
	t.Run("another company's code", func(t *testing.T) {
		out, err := runCheck(t, nil, "--company", "370102001", "special-operations", good)
		require.ErrorIs(t, err, ErrRefused)
		assert.Contains(t, out, "不是本企业")
	})
	t.Run("unknown table and missing file", func(t *testing.T) {
		_, err := runCheck(t, nil, "no-such-table", good)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "risk-units")
		_, err = runCheck(t, nil, "special-operations", filepath.Join(dir, "missing.json"))
		require.Error(t, err)
		assert.NotErrorIs(t, err, ErrRefused)
	})
}
