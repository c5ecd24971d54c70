package web

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Stream is how one server-sent-events response runs. Regional data must not
// keep flowing to a screen whose user has left, so the session is checked
// before every event and every Recheck in between, and the stream ends at once
// when the check fails; it also ends after MaxAge (the browser's EventSource
// reconnects, and the session is checked in full again) and when the server
// shuts down.
type Stream struct {
	// Retry is the reconnect delay the browser is told (the retry: field).
	Retry time.Duration
	// Comment, when not empty, is sent as a comment line right after it.
	Comment string
	// Heartbeat, when not zero, sends a comment this often so that proxies do not
	// close a quiet stream.
	Heartbeat time.Duration
	// MaxAge ends the stream.
	MaxAge time.Duration
	// Recheck and Check are the session check (Guard.SessionCheck).
	Recheck time.Duration
	Check   func() error
}

// WriteEvent writes one event: id (left out when empty), the event name, and
// data on one line (JSON has no raw newlines).
func WriteEvent(w io.Writer, id, name string, data []byte) {
	if id != "" {
		fmt.Fprintf(w, "id: %s\n", id)
	}
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
}

// Poll answers c with the stream s, whose events send writes at once and then
// every every. An error from send ends the stream (send logs what needs
// logging).
func Poll(c *fiber.Ctx, s Stream, every time.Duration, send func(w io.Writer) error) {
	done := c.Context().Done() // c is released before the stream is written
	serve(c, s, func(w *bufio.Writer) {
		tick := time.NewTicker(every)
		defer tick.Stop()
		run(s, w, done, tick.C, true, func(w io.Writer, _ time.Time) error { return send(w) })
	})
}

// Push answers c with the stream s, whose events send writes for each value of
// values, until values is closed. end, when not nil, runs when the stream
// ends, whatever ends it.
func Push[T any](c *fiber.Ctx, s Stream, values <-chan T, send func(w io.Writer, v T) error, end func()) {
	done := c.Context().Done() // c is released before the stream is written
	serve(c, s, func(w *bufio.Writer) {
		if end != nil {
			defer end()
		}
		run(s, w, done, values, false, send)
	})
}

// serve sets the headers of an event stream and starts body writing the
// stream's preamble and then its events. body runs after the handler returned:
// it must not touch c.
func serve(c *fiber.Ctx, s Stream, body func(w *bufio.Writer)) {
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no") // nginx would otherwise hold events back
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		fmt.Fprintf(w, "retry: %d\n", s.Retry.Milliseconds())
		if s.Comment != "" {
			fmt.Fprintf(w, ": %s\n", s.Comment)
		}
		fmt.Fprint(w, "\n")
		if w.Flush() != nil {
			return
		}
		body(w)
	})
}

// run is the stream's loop: each value of values is sent after checking the
// session (and, when atOnce, T's zero value first of all); it returns when the session check fails, values is closed, MaxAge
// is up, done is closed (server shutdown), or a write fails (the browser went
// away).
func run[T any](s Stream, w *bufio.Writer, done <-chan struct{}, values <-chan T, atOnce bool, send func(w io.Writer, v T) error) {
	recheck := time.NewTicker(s.Recheck)
	defer recheck.Stop()
	end := time.NewTimer(s.MaxAge)
	defer end.Stop()
	var heartbeat <-chan time.Time
	if s.Heartbeat > 0 {
		t := time.NewTicker(s.Heartbeat)
		defer t.Stop()
		heartbeat = t.C
	}
	if atOnce {
		var zero T
		if s.Check() != nil || send(w, zero) != nil || w.Flush() != nil {
			return
		}
	}
	for {
		select {
		case v, ok := <-values:
			if !ok || s.Check() != nil {
				return
			}
			if send(w, v) != nil {
				return
			}
		case <-recheck.C:
			if s.Check() != nil {
				return
			}
			continue
		case <-heartbeat:
			fmt.Fprint(w, ": keep-alive\n\n")
		case <-end.C:
			return
		case <-done:
			return
		}
		if w.Flush() != nil {
			return
		}
	}
}
