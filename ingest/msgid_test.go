package ingest_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
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

// The ids of a fact are what they were when the history stored it: the sink's dedup
// and the stored rows (migration 00094 rewrote them under this scheme) find a re-sent
// fact by them, so neither scheme may move by a bit. These were computed by the
// first implementations (uuid.NewSHA1 over a copy of table, company and record).
func TestFactIDsStayTheSame(t *testing.T) {
	at := time.Date(2026, 12, 6, 6, 30, 0, 123e6, time.UTC)
	for _, c := range []struct{ table, company, doc, fact, content string }{
		{"sensor-readings", "370102001", `{"INDICATOR_CODE":"370102001-T001","VALUE":1.5,"COLLECT_TIME":"2026-12-06 14:30:00"}`,
			"01a24a0b-8abb-845a-9e27-d5164111f95f", "d45ade27-d516-5111-b95f-5753b68ef1d9"},
		{"video-device-status", "370102002", `{"DEVICE_CODE":"D1","STATUS":"1"}`,
			"01a24a0b-8abb-818b-9122-f3badfc48d17", "a18b1122-f3ba-5fc4-8d17-722b491beb6f"},
		{"hidden-dangers", "370102003", "", "01a24a0b-8abb-80a2-9824-891c84286c6b", "90a29824-891c-5428-ac6b-d432c19c58c3"},
	} {
		require.Equal(t, c.fact, ingest.FactID(c.table, c.company, []byte(c.doc), at).String(), c.table)
		require.Equal(t, c.content, ingest.ContentID(c.table, c.company, []byte(c.doc)).String(), c.table)
	}
	// Any record, of any length (the hash's buffer is reused across lengths, and
	// across goroutines): both ids are those of their definitions, computed here
	// the first implementations' way.
	namespace := uuid.MustParse("5b7d3c4e-2f1a-4e8b-9c6d-0a1b2c3d4e5f")
	var wg sync.WaitGroup
	for g := range uint64(4) {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(g, 2))
			for range 300 {
				doc := make([]byte, r.IntN(3000))
				for i := range doc {
					doc[i] = byte(r.IntN(256))
				}
				table, company := fmt.Sprint("t", r.IntN(5)), fmt.Sprint(r.IntN(1e9))
				content := append([]byte(table+"\x00"+company+"\x00"), doc...)
				assert.Equal(t, uuid.NewSHA1(namespace, content), ingest.ContentID(table, company, doc))
				h := sha1.New()
				h.Write(namespace[:])
				h.Write(content)
				var fact uuid.UUID
				binary.BigEndian.PutUint64(fact[:8], uint64(at.UnixMilli())<<16)
				copy(fact[6:], h.Sum(nil)[:10])
				fact[6] = fact[6]&0x0f | 0x80
				fact[8] = fact[8]&0x3f | 0x80
				assert.Equal(t, fact, ingest.FactID(table, company, doc, at))
			}
		})
	}
	wg.Wait()
}

// BenchmarkFactID is one reading's message id, as the intake makes it for every
// record of a time-series table.
func BenchmarkFactID(b *testing.B) {
	at := time.Date(2026, 12, 6, 6, 30, 0, 0, time.UTC)
	doc := []byte(`{"ID":"8b0c7f0e-3c1d-4b6a-9d2e-5f4a3b2c1d0e","INDICATOR_CODE":"370102001-T001","VALUE":1.5,` +
		`"COLLECT_TIME":"2026-12-06 14:30:00","DATA_TYPE":"1","IS_ALARM":"0","QUALITY":"0","DELETED":"0"}`)
	b.ReportAllocs()
	for b.Loop() {
		ingest.FactID("sensor-readings", "370102001", doc, at)
	}
}
