package events_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/schemas"
)

// at is a time on the tests' day, Shanghai time.
func at(tb testing.TB, hms string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation(schemas.DateTimeLayout, "2021-06-01 "+hms, schemas.Shanghai)
	require.NoError(tb, err)
	return t
}
