package events

import (
	"slices"
	"time"
)

// Intake is what the platform's pipeline as a whole has delivered (the warning
// engine counts sensor readings, governance every exchange record): At, the newest
// receive time (ingest's received_at) of the records applied so far, from every
// company; Since, when the current uninterrupted intake began (after the
// platform's own intake stopped for longer than the engine's intake gap). The zero
// Intake means unknown: silence is then measured by the wall clock alone.
type Intake struct {
	At    time.Time `json:"at"`
	Since time.Time `json:"since"`
}

// Silence is how long something last heard from at last has been silent at now,
// on the platform's intake clock: up to in.At (when known and earlier than now),
// from no earlier than in.Since. Both engines judge absence by it.
func (in Intake) Silence(last, now time.Time) time.Duration {
	ref := now
	if !in.At.IsZero() && in.At.Before(now) {
		ref = in.At
	}
	if in.Since.After(last) {
		last = in.Since
	}
	return ref.Sub(last)
}

// Clock is now on the platform's intake clock: in.At when known and earlier than
// now, else now.
func (in Intake) Clock(now time.Time) time.Time {
	if !in.At.IsZero() && in.At.Before(now) {
		return in.At
	}
	return now
}

// Running reports whether, at now, the platform's intake has run for at least
// grace since its last resumption, or resumed before from: the grace a company
// gets after a platform-side outage to resend what fell due (from) meanwhile.
func (in Intake) Running(from, now time.Time, grace time.Duration) bool {
	return !in.Since.After(from) || in.Clock(now).Sub(in.Since) >= grace
}

// Advance returns the intake once a batch received at the given times (ingest's
// received_at, from any company) is applied on top of in: the newest receive time
// moves forward only, and the intake restarts (Since) when the batch begins more
// than gap after in.At, or spans such a gap itself (gap 0: never restarts, except
// at the first batch).
func (in Intake) Advance(received []time.Time, gap time.Duration) Intake {
	if len(received) == 0 {
		return in
	}
	ts := slices.Clone(received)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	oldest, newest := ts[0], ts[len(ts)-1]
	if in.At.IsZero() || (gap > 0 && oldest.Sub(in.At) > gap) {
		in.Since = oldest
	}
	for i := 1; gap > 0 && i < len(ts); i++ {
		if ts[i].Sub(ts[i-1]) > gap && ts[i].After(in.Since) {
			in.Since = ts[i]
		}
	}
	if newest.After(in.At) {
		in.At = newest
	}
	return in
}
