// Package statebin is the compact binary encoding the per-company engines (warning,
// governance) write the fast-changing part of their state in: each point's
// last-seen time and last value, a company's last upload and batch counts — what
// changes with nearly every record and is rewritten at every batch that touches the
// company. JSON spent most of its time formatting those times and PostgreSQL parsing
// them; here a time is its MarshalBinary form (the instant and its zone offset, as
// JSON kept them) and a number its bits, so decoding gives back exactly what was
// encoded. The layout is the caller's: a Reader reads fields in the order a Writer
// wrote them.
//
// Two encodings of times and map keys exist. The first (Writer.Layout1, Reader.Layout1:
// what fresh parts stored before 2026-12-07 hold) writes a time as its 15–16 bytes of
// MarshalBinary and a key whole. The second, the default, writes each time as the
// difference from the one written before it and each key as what it does not share with
// the key before it: a company's points are written in their keys' sorted order, their
// codes share most of their characters and their times are seconds apart, so a point's
// key and time take about 5 bytes instead of 30 (docs/performance.md, "Fresh parts in
// half the bytes").
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
type Writer struct {
	b      []byte
	layout int // 0: the default (2); 1: Layout1
	last   previous
}

// previous is what the differences of the second layout are taken from: the last
// time and key written (or read). The zero value is where a part starts.
type previous struct {
	sec    int64 // MarshalBinary's seconds (since January 1, year 1 UTC)
	offMin int16 // MarshalBinary's zone offset in minutes (-1: UTC)
	key    string
}

// Layout1 makes w write times and keys in the first layout, whole: for tests of
// the reading of parts stored before the second.
func (w *Writer) Layout1() { w.layout = 1 }

// Bytes is what was written.
func (w *Writer) Bytes() []byte { return w.b }

// Uint writes a count or length.
func (w *Writer) Uint(n int) { w.b = binary.AppendUvarint(w.b, uint64(n)) }

// Begin starts a part with its layout version: version 1 is written in the first
// layout (the engines' parts of version 1 were), any later one in the second. Reader.Begin
// reads it.
func (w *Writer) Begin(version int) {
	if version == 1 {
		w.Layout1()
	}
	w.Uint(version) // the bytes layout 1's parts began with
}

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
	var buf [16]byte
	bin, err := t.AppendBinary(buf[:0])
	if err != nil {
		// Only a zone offset that is not a whole minute beyond ±32767 min fails:
		// no time the engines hold (they come from JSON or the clock).
		panic(fmt.Sprintf("statebin: encode time %v: %v", t, err))
	}
	if w.layout == 1 {
		w.b = append(w.b, byte(len(bin)))
		w.b = append(w.b, bin...)
		return
	}
	// MarshalBinary's layout: version (1, or 2 with the offset's seconds in a last
	// byte), seconds (8 bytes), nanoseconds (4), offset in minutes (2).
	version := bin[0]
	if version != 1 && version != 2 {
		panic(fmt.Sprintf("statebin: encode time %v: MarshalBinary version %d", t, version)) // a Go this layout does not know
	}
	sec := int64(binary.BigEndian.Uint64(bin[1:9]))
	nsec := binary.BigEndian.Uint32(bin[9:13])
	offMin := int16(binary.BigEndian.Uint16(bin[13:15]))
	head := version - 1 // bit 0: version 2
	if nsec != 0 {
		head |= 2
	}
	if offMin != w.last.offMin {
		head |= 4
	}
	w.b = append(w.b, head)
	w.b = binary.AppendVarint(w.b, sec-w.last.sec)
	if nsec != 0 {
		w.b = binary.AppendUvarint(w.b, uint64(nsec))
	}
	if offMin != w.last.offMin {
		w.b = binary.AppendVarint(w.b, int64(offMin))
	}
	if version == 2 {
		w.b = append(w.b, bin[15])
	}
	w.last.sec, w.last.offMin = sec, offMin
}

// key writes a map key: in the second layout, how many bytes it shares with the key
// written before it, then the rest.
func (w *Writer) key(k string) {
	if w.layout == 1 {
		w.String(k)
		return
	}
	shared := 0
	for shared < len(k) && shared < len(w.last.key) && k[shared] == w.last.key[shared] {
		shared++
	}
	w.Uint(shared)
	w.String(k[shared:])
	w.last.key = k
}

// Reader reads fields in the order they were written. After the first error every
// read returns a zero value; Err reports it, End also input left over.
type Reader struct {
	b      []byte
	err    error
	layout int // 0: the default (2); 1: Layout1
	last   previous
}

// Layout1 makes r read times and keys in the first layout: a part written before the
// second (its caller's own layout version tells which).
func (r *Reader) Layout1() { r.layout = 1 }

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
	v := r.uvarint("count")
	if v > uint64(len(r.b)) {
		r.fail("count")
		return 0
	}
	return int(v)
}

// Begin reads the layout version a part begins with (Writer.Begin) and reads on in the
// layout it names: 1, a part stored before the second layout, or current. Another
// version is an error. Unlike a count the version is not bounded by the bytes left:
// an empty part of version 2 is two bytes.
func (r *Reader) Begin(current int) error {
	switch v := r.uvarint("version"); {
	case r.err != nil:
		return r.err
	case v == uint64(current):
	case v == 1:
		r.Layout1()
	default:
		return fmt.Errorf("layout version %d, want 1 or %d", v, current)
	}
	return nil
}

// Int reads a signed integer.
func (r *Reader) Int() int {
	v := r.varint("integer")
	if v != int64(int(v)) {
		r.fail("integer")
		return 0
	}
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
	if r.layout == 1 {
		if len(r.b) < 1 || int(r.b[0]) > len(r.b)-1 {
			r.fail("time")
			return time.Time{}
		}
		n := int(r.b[0])
		t := r.unmarshalTime(r.b[1 : 1+n])
		if r.err == nil {
			r.b = r.b[1+n:]
		}
		return t
	}
	if len(r.b) < 1 || r.b[0] > 7 {
		r.fail("time")
		return time.Time{}
	}
	head := r.b[0]
	r.b = r.b[1:]
	delta := r.varint("time")
	var nsec uint64
	if head&2 != 0 {
		nsec = r.uvarint("time")
	}
	offMin := int64(r.last.offMin)
	if head&4 != 0 {
		offMin = r.varint("time")
	}
	if r.err != nil || nsec > 999_999_999 || offMin != int64(int16(offMin)) {
		r.fail("time")
		return time.Time{}
	}
	// Rebuilt as MarshalBinary wrote it, so UnmarshalBinary gives the zone exactly
	// as the first layout does.
	var bin [16]byte
	bin[0] = 1 + head&1
	sec := r.last.sec + delta
	binary.BigEndian.PutUint64(bin[1:9], uint64(sec))
	binary.BigEndian.PutUint32(bin[9:13], uint32(nsec))
	binary.BigEndian.PutUint16(bin[13:15], uint16(int16(offMin)))
	n := 15
	if head&1 != 0 {
		if len(r.b) < 1 {
			r.fail("time")
			return time.Time{}
		}
		bin[15] = r.b[0]
		r.b = r.b[1:]
		n = 16
	}
	t := r.unmarshalTime(bin[:n])
	if r.err == nil {
		r.last.sec, r.last.offMin = sec, int16(offMin)
	}
	return t
}

func (r *Reader) unmarshalTime(bin []byte) time.Time {
	var t time.Time
	if err := t.UnmarshalBinary(bin); err != nil {
		r.fail("time: " + err.Error())
		return time.Time{}
	}
	return t
}

func (r *Reader) varint(what string) int64   { return decode(r, binary.Varint, what) }
func (r *Reader) uvarint(what string) uint64 { return decode(r, binary.Uvarint, what) }

// decode reads one varint with f, failing as what.
func decode[T int64 | uint64](r *Reader, f func([]byte) (T, int), what string) T {
	v, n := f(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// key reads a map key written by Writer.key.
func (r *Reader) key() string {
	if r.layout == 1 {
		return r.String()
	}
	shared := r.uvarint("key") // not Uint: the bytes it stands for are not in the input
	if r.err == nil && shared > uint64(len(r.last.key)) {
		r.fail("key")
	}
	rest := r.String()
	if r.err != nil {
		return ""
	}
	k := r.last.key[:shared] + rest
	r.last.key = k
	return k
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
	mark, last := len(w.b), w.last
	if len(k.sorted) == len(m) && writeIn(w, m, k.sorted, each) {
		return
	}
	w.b, w.last = w.b[:mark], last
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
		w.key(key)
		each(v)
	}
	return true
}

// Entries reads what Map (or MapKeys) wrote: it calls each with every key, which
// reads that entry's value, until all are read or an error is met.
func (r *Reader) Entries(each func(key string)) {
	for n := r.Uint(); n > 0 && r.err == nil; n-- {
		k := r.key()
		if r.err != nil {
			return
		}
		each(k)
	}
}
