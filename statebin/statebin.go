// Package statebin is the compact binary encoding the per-company engines (warning,
// governance) write the fast-changing part of their state in: each point's
// last-seen time and last value, a company's last upload and batch counts — what
// changes with nearly every record and is rewritten at every batch that touches the
// company. JSON spent most of its time formatting those times and PostgreSQL parsing
// them; here a time is its MarshalBinary form (the instant and its zone offset, as
// JSON kept them) and a number its bits, so decoding gives back exactly what was
// encoded. The layout is the caller's: a Reader reads fields in the order a Writer
// wrote them.
package statebin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// ErrCorrupt is returned by Reader.Err for input that does not hold what was read.
var ErrCorrupt = errors.New("statebin: corrupt input")

// Writer appends fields to a buffer. The zero Writer is ready to use.
type Writer struct{ b []byte }

// Bytes is what was written.
func (w *Writer) Bytes() []byte { return w.b }

// Uint writes a count or length.
func (w *Writer) Uint(n int) { w.b = binary.AppendUvarint(w.b, uint64(n)) }

// Int writes a signed integer.
func (w *Writer) Int(n int) { w.b = binary.AppendVarint(w.b, int64(n)) }

// Float writes a float64 exactly (its bits).
func (w *Writer) Float(f float64) { w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(f)) }

// Bool writes a flag.
func (w *Writer) Bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

// String writes a string.
func (w *Writer) String(s string) {
	w.Uint(len(s))
	w.b = append(w.b, s...)
}

// Time writes an instant with its zone offset (time.Time.AppendBinary; the monotonic
// reading is dropped, as JSON drops it).
func (w *Writer) Time(t time.Time) {
	n := len(w.b)
	w.b = append(w.b, 0) // the length, set below: 15 or 16 bytes
	var err error
	if w.b, err = t.AppendBinary(w.b); err != nil {
		// Only a zone offset that is not a whole minute beyond ±32767 min fails:
		// no time the engines hold (they come from JSON or the clock).
		panic(fmt.Sprintf("statebin: encode time %v: %v", t, err))
	}
	w.b[n] = byte(len(w.b) - n - 1)
}

// Reader reads fields in the order they were written. After the first error every
// read returns a zero value; Err reports it, End also input left over.
type Reader struct {
	b   []byte
	err error
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err is the first error met so far.
func (r *Reader) Err() error { return r.err }

// End is Err once everything is read: input left unread is an error too.
func (r *Reader) End() error {
	if r.err == nil && len(r.b) > 0 {
		return fmt.Errorf("%w: %d bytes left over", ErrCorrupt, len(r.b))
	}
	return r.err
}

func (r *Reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrCorrupt, what)
	}
	r.b = nil
}

// Uint reads a count or length; it fails when the count is larger than the bytes
// left could hold (one byte per element at least), so a corrupt count never
// allocates.
func (r *Reader) Uint() int {
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > uint64(len(r.b)-n) {
		r.fail("count")
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

// Int reads a signed integer.
func (r *Reader) Int() int {
	v, n := binary.Varint(r.b)
	if n <= 0 || v != int64(int(v)) {
		r.fail("integer")
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

// Float reads a float64.
func (r *Reader) Float() float64 {
	if len(r.b) < 8 {
		r.fail("number")
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return f
}

// Bool reads a flag.
func (r *Reader) Bool() bool {
	if len(r.b) < 1 || r.b[0] > 1 {
		r.fail("flag")
		return false
	}
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}

// String reads a string.
func (r *Reader) String() string {
	n := r.Uint()
	if r.err != nil {
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// Time reads an instant written by Writer.Time.
func (r *Reader) Time() time.Time {
	if len(r.b) < 1 || int(r.b[0]) > len(r.b)-1 {
		r.fail("time")
		return time.Time{}
	}
	n := int(r.b[0])
	var t time.Time
	if err := t.UnmarshalBinary(r.b[1 : 1+n]); err != nil {
		r.fail("time: " + err.Error())
		return time.Time{}
	}
	r.b = r.b[1+n:]
	return t
}

// Map writes a map with string keys: its size, then each key in order, each followed
// by what each writes of its value — so equal maps encode to equal bytes.
func Map[V any](w *Writer, m map[string]V, each func(V)) {
	var k Keys
	MapKeys(w, m, &k, each)
}

// Keys keeps the order of one map's keys from one encoding of it to the next
// (MapKeys). A company's points hardly change between two of its transactions,
// while sorting a thousand of them at each was a third of the fresh part's encoding
// (docs/performance.md, "What is next", item 9). The zero Keys is ready to use; it
// belongs to one map.
type Keys struct{ sorted []string }

// MapKeys is Map, in the same bytes, with the keys' order kept in k: when m holds
// exactly the keys k held last time they are not sorted again. Which is learnt while
// writing: as many keys, each of them found in m. Otherwise what was written of m is
// taken back, and m is written in its keys' sorted order, k keeping that order. each
// must only write (it may be called for entries that are then written again).
func MapKeys[V any](w *Writer, m map[string]V, k *Keys, each func(V)) {
	w.Uint(len(m))
	mark := len(w.b)
	if len(k.sorted) == len(m) && writeIn(w, m, k.sorted, each) {
		return
	}
	w.b = w.b[:mark]
	k.sorted = slices.AppendSeq(k.sorted[:0], maps.Keys(m))
	slices.Sort(k.sorted)
	writeIn(w, m, k.sorted, each)
}

// writeIn writes m's entries in the order of keys, and reports false at the first key
// m does not hold.
func writeIn[V any](w *Writer, m map[string]V, keys []string, each func(V)) bool {
	for _, key := range keys {
		v, ok := m[key]
		if !ok {
			return false
		}
		w.String(key)
		each(v)
	}
	return true
}

// Entries reads what Map (or MapKeys) wrote: it calls each with every key, which
// reads that entry's value, until all are read or an error is met.
func (r *Reader) Entries(each func(key string)) {
	for n := r.Uint(); n > 0 && r.err == nil; n-- {
		k := r.String()
		if r.err != nil {
			return
		}
		each(k)
	}
}
