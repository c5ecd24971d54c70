package portal_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/platform"
)

// recheck is the session check interval of the streams in this test; the
// streams would otherwise run for LiveFor (5 min) or 10 minutes.
const recheck = 200 * time.Millisecond

// The attack: /portal/live and /api/v1/warnings/stream kept sending a region's
// figures and warnings after the user logged out. Every stream now checks its
// session every interval: after logout, an idle expiry or the user being
// disabled, it ends within the interval (with slack for a loaded machine),
// and its reconnect is refused.
func TestStreamsEndWithTheSession(t *testing.T) {
	e := startWith(t, func(c *platform.Config) {
		c.Access.StreamRecheck = recheck
		c.Warnings.Tick = time.Second
	})
	e.user("lixia_staff", policy.CountyStaff, "370102")
	ends := map[string]func(b *browser){
		"logout": func(b *browser) {
			p := b.Do(http.MethodPost, "/portal/logout", map[string][]string{})
			require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		},
		"user disabled": func(*browser) {
			_, err := e.App.Pool.Exec(context.Background(), `UPDATE users SET disabled_at = now() WHERE username = 'lixia_staff'`)
			require.NoError(t, err)
		},
		"idle expiry": func(*browser) { e.Clock.Add(identity.DefaultIdleTimeout + time.Minute) },
	}
	for _, path := range []string{"/portal/live", "/api/v1/warnings/stream"} {
		for name, end := range ends {
			t.Run(path+" after "+name, func(t *testing.T) {
				_, err := e.App.Pool.Exec(context.Background(), `UPDATE users SET disabled_at = NULL WHERE username = 'lixia_staff'`)
				require.NoError(t, err)
				b := e.login("lixia_staff")
				resp := openLive(t, b, path)
				defer resp.Body.Close()
				r := bufio.NewReader(resp.Body)
				_, err = r.ReadString('\n') // the stream is open and sending
				require.NoError(t, err)
				closed := make(chan error, 1)
				go func() { _, err := io.Copy(io.Discard, r); closed <- err }()
				// Still open across a few checks while the session lives.
				select {
				case err := <-closed:
					t.Fatalf("the stream ended while the session lived: %v", err)
				case <-time.After(3 * recheck):
				}
				end(b)
				select {
				case <-closed:
				case <-time.After(10 * recheck):
					t.Fatalf("the stream still runs %s after %s", 10*recheck, name)
				}
				req, err := http.NewRequest(http.MethodGet, b.Base+path, nil)
				require.NoError(t, err)
				req.AddCookie(&http.Cookie{Name: identity.CookieName, Value: b.Cookie})
				again, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
					return http.ErrUseLastResponse
				}}).Do(req)
				require.NoError(t, err)
				again.Body.Close()
				assert.NotEqual(t, http.StatusOK, again.StatusCode, "the reconnect is refused")
				if name == "idle expiry" {
					e.Clock.Add(-(identity.DefaultIdleTimeout + time.Minute))
				}
			})
		}
	}
}
