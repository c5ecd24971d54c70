package ingest_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/ingest"
)

// A time-series fact's id is its content's (re-sent, it is the same id) and leads
// with its event time, so the ids of later facts sort after earlier ones; the sink can
// name the same fact's id under the earlier scheme, and back.
func TestFactIDs(t *testing.T) {
	at := time.Date(2026, 12, 6, 6, 30, 0, 0, time.UTC)
	doc := []byte(`{"INDICATOR_CODE":"370102001-T001","VALUE":1.5,"COLLECT_TIME":"2026-12-06 14:30:00"}`)
	id := ingest.FactID("sensor-readings", "370102001", doc, at)
	require.Equal(t, uuid.Version(8), id.Version())
	require.Equal(t, uuid.RFC4122, id.Variant())
	require.Equal(t, id, ingest.FactID("sensor-readings", "370102001", bytes.Clone(doc), at), "a re-sent fact keeps its id")

	ms := at.UnixMilli()
	require.Equal(t, []byte{byte(ms >> 40), byte(ms >> 32), byte(ms >> 24), byte(ms >> 16), byte(ms >> 8), byte(ms)}, id[:6])
	later := ingest.FactID("sensor-readings", "370102001", doc, at.Add(time.Millisecond))
	require.Positive(t, bytes.Compare(later[:], id[:]), "a later fact sorts after")
	for _, other := range []uuid.UUID{
		ingest.FactID("sensor-readings", "370102002", doc, at),
		ingest.FactID("video-device-status", "370102001", doc, at),
		ingest.FactID("sensor-readings", "370102001", append(bytes.Clone(doc[:len(doc)-1]), ' ', '}'), at),
	} {
		require.NotEqual(t, id, other, "another company, table or content is another fact")
		require.Equal(t, id[:6], other[:6])
	}

	earlier := ingest.ContentID("sensor-readings", "370102001", doc)
	require.Equal(t, uuid.Version(5), earlier.Version())
	require.Equal(t, earlier, ingest.PriorFactID("sensor-readings", "370102001", doc, at, id))
	require.Equal(t, id, ingest.PriorFactID("sensor-readings", "370102001", doc, at, earlier))
	require.Equal(t, earlier, ingest.FactID("sensor-readings", "370102001", doc, time.Time{}), "no event time: the content's id")
	require.Equal(t, uuid.Nil, ingest.PriorFactID("sensor-readings", "370102001", doc, time.Time{}, earlier))
	v7, err := uuid.NewV7()
	require.NoError(t, err)
	require.Equal(t, uuid.Nil, ingest.PriorFactID("sensor-readings", "370102001", doc, at, v7))
}
