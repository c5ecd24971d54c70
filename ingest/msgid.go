package ingest

import (
	"crypto/sha1"
	"encoding/binary"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/shandong-emergency/chemguard/schemas"
)

// Message ids lead with a time, so the histories' primary key (msg_id, received_at)
// grows at its right edge: a batch of new versions then dirties a few leaf pages at
// the end of the index instead of one page per version all over it (each of them a
// full-page image in the WAL after every checkpoint), and the index pages a batch
// probes and writes stay in memory however long the history grows.

// timeSeriesIDs is the UUIDv5 namespace of content-derived message ids.
var timeSeriesIDs = uuid.MustParse("5b7d3c4e-2f1a-4e8b-9c6d-0a1b2c3d4e5f")

// messageID identifies one accepted version. For time-series tables (readings, status
// reports, alarms) a re-sent fact is the same fact, so the id is derived from the
// company and the record's content (factID) and the history stores it once; for the
// other tables every upload is a version of its own, with a UUIDv7 of its receipt.
func messageID(t *schemas.Table, company string, doc []byte, eventTime time.Time) uuid.UUID {
	if !t.TimeSeries {
		return newVersionID()
	}
	return factID(t.Slug, company, doc, eventTime)
}

// newVersionID is a UUIDv7: the milliseconds of now, then random bits.
func newVersionID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil { // the system's random source failed: so would uuid.New
		panic("ingest: message id: " + err.Error())
	}
	return id
}

// factID is the id of a time-series fact: a UUIDv8 (RFC 9562's layout for ids of
// one's own design) whose first 48 bits are the fact's event time in Unix
// milliseconds, like a UUIDv7's, and whose remaining 74 bits are the SHA-1 of the
// table, company and record that contentID hashes. The same fact re-sent gets the same
// id. A fact without an event time, or one outside 1970–10889, keeps contentID.
func factID(table, company string, doc []byte, eventTime time.Time) uuid.UUID {
	ms := eventTime.UnixMilli()
	if eventTime.IsZero() || ms < 0 || ms >= 1<<48 {
		return contentID(table, company, doc)
	}
	sum := factSum(table, company, doc)
	var id uuid.UUID
	var stamp [8]byte
	binary.BigEndian.PutUint64(stamp[:], uint64(ms))
	copy(id[:6], stamp[2:])
	copy(id[6:], sum[:10])
	id[6] = id[6]&0x0f | 0x80 // version 8
	id[8] = id[8]&0x3f | 0x80 // variant RFC 9562
	return id
}

// contentID is the UUIDv5 of a fact's table, company and record: every time-series
// fact's id before factID (and still one's without an event time).
func contentID(table, company string, doc []byte) uuid.UUID {
	sum := factSum(table, company, doc)
	var id uuid.UUID // uuid.NewSHA1's layout
	copy(id[:], sum[:])
	id[6] = id[6]&0x0f | 0x50 // version 5
	id[8] = id[8]&0x3f | 0x80 // variant RFC 4122
	return id
}

// factSum is the SHA-1 both schemes take of a fact: of the namespace, the table, a
// zero byte, the company, a zero byte and the record. It is hashed from a buffer
// reused across calls: a fresh copy of the record and a hasher per fact were most
// of an id's allocations.
func factSum(table, company string, doc []byte) [sha1.Size]byte {
	buf := factBuffers.Get().(*[]byte)
	b := append((*buf)[:0], timeSeriesIDs[:]...)
	b = append(append(b, table...), 0)
	b = append(append(b, company...), 0)
	b = append(b, doc...)
	sum := sha1.Sum(b)
	*buf = b
	factBuffers.Put(buf)
	return sum
}

// factBuffers hold factSum's input between calls (the intake's handlers and the sink
// hash side by side).
var factBuffers = sync.Pool{New: func() any { return new([]byte) }}

// priorFactID is the id the same fact has under the other scheme — contentID for a
// factID and the reverse — or uuid.Nil when there is none (not a fact's id, or a fact
// without an event time). The sink hands it to the history's dedup, so a fact first
// stored under one scheme and re-sent under the other is still stored once.
func priorFactID(table, company string, doc []byte, eventTime time.Time, id uuid.UUID) uuid.UUID {
	switch id.Version() {
	case 8:
		return contentID(table, company, doc)
	case 5:
		if other := factID(table, company, doc, eventTime); other != id {
			return other
		}
	}
	return uuid.Nil
}
