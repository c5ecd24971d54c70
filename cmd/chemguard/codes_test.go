package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
)

// The command line refuses a park or company code that could read as another
// region (a "/" in it), with the reason in Chinese and English, like the API
// and the portal.
func TestCommandLineRefusesMalformedCodes(t *testing.T) {
	t.Setenv("CHEMGUARD_DATABASE_URL", pgtest.NewDatabase(t))
	for _, args := range [][]string{
		{"enterprise", "add", "--code", "C1/370102", "--name", "黄岛某化工", "--region", "370211"},
		{"enterprise", "add", "--code", "370211901", "--name", "黄岛某化工", "--region", "370211", "--park", "HD/370102"},
		{"user", "add", "--username", "hd_park", "--role", "park_staff", "--park", "HD/370102"},
	} {
		var out, errb bytes.Buffer
		require.Equal(t, 1, run(args, &out, &errb), "%v: %s", args, errb.String())
		assert.Regexp(t, `(企业|园区)编码「[^」]+」无效`, errb.String(), args)
		assert.Regexp(t, `(company|park) code`, errb.String(), args)
		assert.NotContains(t, out.String(), "cgk_", "no key was issued")
	}
}
