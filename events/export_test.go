package events

// DecodeLayout exposes the fast path so tests can tell that real envelopes take it.
var DecodeLayout = decodeLayout
