package web_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/web"
)

// serve starts app on a port of its own and returns its base URL.
func serve(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(time.Second) })
	return "http://" + ln.Addr().String()
}

// read returns the whole stream at url, failing the test if it has not ended
// within limit.
func read(t *testing.T, url string, limit time.Duration) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	done := make(chan string, 1)
	go func() { b, _ := io.ReadAll(resp.Body); done <- string(b) }()
	select {
	case body := <-done:
		return resp, body
	case <-time.After(limit):
		t.Fatalf("the stream %s still runs after %s", url, limit)
		return nil, ""
	}
}

// session is a session check that fails from its n-th call on.
type session struct{ calls, failFrom atomic.Int64 }

func (s *session) check() error {
	if s.calls.Add(1) >= s.failFrom.Load() {
		return errors.New("logged out")
	}
	return nil
}

func newSession(failFrom int64) *session {
	s := &session{}
	s.failFrom.Store(failFrom)
	return s
}

func TestPollEndsWhenTheSessionCheckFails(t *testing.T) {
	s := newSession(4) // the check before events 1, 2 and 3 passes
	app := fiber.New()
	var sent atomic.Int64
	app.Get("/live", func(c *fiber.Ctx) error {
		web.Poll(c, web.Stream{Retry: 5 * time.Second, MaxAge: time.Minute, Recheck: time.Hour, Check: s.check},
			10*time.Millisecond, func(w io.Writer) error {
				web.WriteEvent(w, "", "stats", fmt.Appendf(nil, `{"n":%d}`, sent.Add(1)))
				return nil
			})
		return nil
	})
	resp, body := read(t, serve(t, app)+"/live", 5*time.Second)
	assert.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get(fiber.HeaderContentType))
	assert.Equal(t, "no-store", resp.Header.Get(fiber.HeaderCacheControl))
	assert.Equal(t, "retry: 5000\n\n"+
		"event: stats\ndata: {\"n\":1}\n\nevent: stats\ndata: {\"n\":2}\n\nevent: stats\ndata: {\"n\":3}\n\n", body,
		"no event once the check fails")
}

func TestStreamEndsOnRecheckWithoutEvents(t *testing.T) {
	s := newSession(1 << 62)
	values := make(chan string) // nothing is ever pushed
	ended := make(chan struct{})
	app := fiber.New()
	app.Get("/push", func(c *fiber.Ctx) error {
		web.Push(c, web.Stream{Retry: 3 * time.Second, Comment: "hello", MaxAge: time.Minute,
			Recheck: 20 * time.Millisecond, Check: s.check}, values,
			func(w io.Writer, v string) error { web.WriteEvent(w, "1", "x", []byte(v)); return nil },
			func() { close(ended) })
		return nil
	})
	base := serve(t, app)
	resp, err := http.Get(base + "/push")
	require.NoError(t, err)
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "retry: 3000\n", line)
	time.Sleep(100 * time.Millisecond)
	select {
	case <-ended:
		t.Fatal("the stream ended while the session lived")
	default:
	}
	s.failFrom.Store(0) // logged out
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream still runs after the session ended")
	}
	rest, _ := io.ReadAll(r)
	assert.Equal(t, ": hello\n\n", string(rest))
}

func TestPushSendsUntilClosedWithHeartbeats(t *testing.T) {
	s := newSession(1 << 62)
	values := make(chan int)
	app := fiber.New()
	app.Get("/push", func(c *fiber.Ctx) error {
		web.Push(c, web.Stream{Retry: time.Second, Heartbeat: 30 * time.Millisecond, MaxAge: time.Minute,
			Recheck: time.Hour, Check: s.check}, values,
			func(w io.Writer, v int) error { web.WriteEvent(w, fmt.Sprint(v), "n", fmt.Append(nil, v)); return nil }, nil)
		return nil
	})
	base := serve(t, app)
	go func() {
		for i := 1; i <= 2; i++ {
			values <- i
		}
		time.Sleep(150 * time.Millisecond)
		close(values)
	}()
	_, body := read(t, base+"/push", 5*time.Second)
	assert.True(t, strings.HasPrefix(body, "retry: 1000\n\nid: 1\nevent: n\ndata: 1\n\nid: 2\nevent: n\ndata: 2\n\n"), body)
	assert.Contains(t, body, ": keep-alive\n\n", "a quiet stream sends heartbeats")
	assert.Equal(t, int64(2), s.calls.Load(), "the session is checked before every event")
}

func TestStreamEndsAfterMaxAge(t *testing.T) {
	s := newSession(1 << 62)
	app := fiber.New()
	app.Get("/live", func(c *fiber.Ctx) error {
		web.Poll(c, web.Stream{Retry: time.Second, MaxAge: 100 * time.Millisecond, Recheck: time.Hour, Check: s.check},
			time.Hour, func(w io.Writer) error { web.WriteEvent(w, "", "stats", []byte("{}")); return nil })
		return nil
	})
	start := time.Now()
	_, body := read(t, serve(t, app)+"/live", 5*time.Second)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	assert.Equal(t, "retry: 1000\n\nevent: stats\ndata: {}\n\n", body)
}
