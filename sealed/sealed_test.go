package sealed_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/sealed"
)

func box(t *testing.T) *sealed.Box {
	t.Helper()
	b, err := sealed.NewBox(sealed.NewRandomKey())
	require.NoError(t, err)
	return b
}

func TestSealOpen(t *testing.T) {
	b := box(t)
	v, err := b.SealShown("users.mobile", "13812341234", sealed.MaskMobile("13812341234"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(v, "enc:v1:138****1234:"), v)
	assert.NotContains(t, v, "13812341234")
	got, err := b.Open("users.mobile", v)
	require.NoError(t, err)
	assert.Equal(t, "13812341234", got)
	assert.Equal(t, "138****1234", sealed.Display(v))

	_, err = b.Open("x_enterprise_info.PRINCIPAL_MOBILE", v)
	assert.ErrorIs(t, err, sealed.ErrOpen, "a value copied to another column does not open")
	_, err = box(t).Open("users.mobile", v)
	assert.ErrorIs(t, err, sealed.ErrOpen, "another key does not open it")
	forged := strings.Replace(v, "138****1234", "139****9999", 1)
	_, err = b.Open("users.mobile", forged)
	assert.ErrorIs(t, err, sealed.ErrOpen, "the shown part is authenticated too")

	plain, err := b.Open("users.mobile", "13900000000")
	require.NoError(t, err)
	assert.Equal(t, "13900000000", plain, "values stored before sealing read as they are")
	var none *sealed.Box
	_, err = none.Open("users.mobile", v)
	assert.ErrorIs(t, err, sealed.ErrNoKey)
	_, err = none.Seal("users.mobile", "13900000000")
	assert.ErrorIs(t, err, sealed.ErrNoKey, "no silent plaintext without a key")
	empty, err := b.Seal("users.mobile", "")
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func TestDocs(t *testing.T) {
	b := box(t)
	f := sealed.Fields{Table: "x_enterprise_info", Names: []string{"PRINCIPAL_MOBILE", "SAFETY_PRINCIPAL_MOBILE"}}
	doc := []byte(`{"ID":"1","PRINCIPAL":"张三","PRINCIPAL_MOBILE":"13812341234","SAFETY_PRINCIPAL_MOBILE":""}`)
	s, err := b.SealDoc(f, doc)
	require.NoError(t, err)
	assert.NotContains(t, string(s), "13812341234")
	again, err := b.SealDoc(f, s)
	require.NoError(t, err)
	assert.Equal(t, string(s), string(again), "sealing twice changes nothing")
	var shown map[string]string
	require.NoError(t, json.Unmarshal(sealed.DisplayDoc(s), &shown))
	assert.Equal(t, "138****1234", shown["PRINCIPAL_MOBILE"])
	assert.Equal(t, "张三", shown["PRINCIPAL"])
	opened, err := b.OpenDoc(f, s)
	require.NoError(t, err)
	assert.JSONEq(t, string(doc), string(opened))
}

func TestMasks(t *testing.T) {
	assert.Equal(t, "138****1234", sealed.MaskMobile("13812341234"))
	assert.Equal(t, "053*****8888", sealed.MaskMobile("0531-6668888"))
	assert.Equal(t, "****", sealed.MaskMobile("1234"))
	assert.Equal(t, "3701**********1234", sealed.MaskID("370102199001011234"))
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	k1, err := sealed.LoadOrCreateKey(dir, "audit.key")
	require.NoError(t, err)
	k2, err := sealed.LoadOrCreateKey(dir, "audit.key")
	require.NoError(t, err)
	assert.Equal(t, k1, k2, "the key survives a restart")
	info, err := os.Stat(filepath.Join(dir, "audit.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	_, err = sealed.ParseKey("short")
	assert.ErrorIs(t, err, sealed.ErrKeySize)
	k, err := sealed.ParseKey(strings.Repeat("ab", 32))
	require.NoError(t, err)
	assert.Len(t, k, 32)
}

func TestPseudonym(t *testing.T) {
	b := box(t)
	p := b.Pseudonym("warning_notifications.recipient", "13812341234")
	assert.True(t, strings.HasPrefix(p, "138****1234#"), p)
	assert.NotContains(t, p, "13812341234")
	assert.Equal(t, p, b.Pseudonym("warning_notifications.recipient", "13812341234"), "stable: tells people apart")
	assert.NotEqual(t, p, b.Pseudonym("warning_notifications.recipient", "13812345234"))
	assert.NotEqual(t, p, box(t).Pseudonym("warning_notifications.recipient", "13812341234"), "keyed")
	assert.Equal(t, p, b.Pseudonym("warning_notifications.recipient", p), "a pseudonym stays as it is")
	var none *sealed.Box
	assert.Equal(t, "13812341234", none.Pseudonym("x", "13812341234"))
}
