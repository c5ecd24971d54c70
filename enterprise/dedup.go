package enterprise

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/web"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

// ClientIDField is the form field (or the X-Client-ID header) by which the
// phone pages' offline queue names a submission: a UUID made when the form
// is filled in, the same on every replay.
const (
	ClientIDField  = "client_id"
	ClientIDHeader = "X-Client-ID"
)

// staleAttempt is how long a first attempt that never answered (the process
// died) blocks its replays; after it the replay runs the handler again.
const staleAttempt = 2 * time.Minute

var errInFlight = chemguard.Errorf(chemguard.EConflict, "该记录正在提交，请稍候再看结果",
	"this submission is still being processed; look again shortly")

// dedup makes every POST that carries a client id idempotent per member: the
// first one runs and its answer (status and redirect) is kept; a replay of
// one that succeeded gets the same redirect without running again, so a
// phone that lost the answer and sends again records nothing twice. A replay
// of one that failed runs again. Modules' POST handlers get this for free:
// they only redirect on success. Script callers (Accept: application/json)
// get {ok, url, duplicate} instead of the redirect.
func (a *App) dedup(c *fiber.Ctx) error {
	if csrf.Safe(c.Method()) {
		return c.Next()
	}
	raw := c.Get(ClientIDHeader)
	if raw == "" {
		raw = c.FormValue(ClientIDField)
	}
	if raw == "" {
		return c.Next()
	}
	id, err := uuid.Parse(strings.TrimSpace(raw))
	if err != nil {
		return a.fail(c, chemguard.Errorf(chemguard.EInvalid, "提交编号「%s」不是有效的 UUID", "client id %q is not a UUID", raw))
	}
	m := MemberFrom(c)
	ctx := c.UserContext()
	path := strings.Clone(c.Path())
	now := a.cfg.Now()
	tag, err := a.pool.Exec(ctx, `INSERT INTO enterprise_client_requests (user_id, client_id, method, path, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, client_id) DO NOTHING`, m.UserID, id, c.Method(), path, now)
	if err != nil {
		return fmt.Errorf("enterprise: client request: %w", err)
	}
	if tag.RowsAffected() == 0 {
		var status *int
		var location, prevPath string
		var at time.Time
		if err := a.pool.QueryRow(ctx, `SELECT status, location, path, created_at FROM enterprise_client_requests
			WHERE user_id = $1 AND client_id = $2`, m.UserID, id).Scan(&status, &location, &prevPath, &at); err != nil {
			return fmt.Errorf("enterprise: client request: %w", err)
		}
		switch {
		case prevPath != path:
			return a.fail(c, chemguard.Errorf(chemguard.EConflict, "提交编号已用于另一项提交", "the client id was used for another submission"))
		case status != nil && *status < 400:
			return answer(c, *status, location, true)
		case status == nil && now.Sub(at) < staleAttempt:
			// Retry-After tells the phone's queue to send it again later,
			// unlike a conflict that no replay can mend.
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(staleAttempt/time.Second)))
			return a.fail(c, errInFlight)
		}
		if _, err := a.pool.Exec(ctx, `UPDATE enterprise_client_requests SET status = NULL, location = '', created_at = $3
			WHERE user_id = $1 AND client_id = $2`, m.UserID, id, now); err != nil {
			return fmt.Errorf("enterprise: client request: %w", err)
		}
	}
	herr := c.Next()
	status := c.Response().StatusCode()
	if herr != nil {
		status = web.HTTPStatus(herr)
	}
	location := string(c.Response().Header.Peek(fiber.HeaderLocation))
	if _, err := a.pool.Exec(ctx, `UPDATE enterprise_client_requests SET status = $3, location = $4
		WHERE user_id = $1 AND client_id = $2`, m.UserID, id, status, location); err != nil {
		return errors.Join(herr, fmt.Errorf("enterprise: client request: %w", err))
	}
	if herr != nil {
		return herr
	}
	if wantsJSON(c) && status >= 300 && status < 400 {
		return answer(c, status, location, false)
	}
	return nil
}

// answer repeats a kept answer: the redirect to a browser, JSON to the queue.
func answer(c *fiber.Ctx, status int, location string, duplicate bool) error {
	if wantsJSON(c) {
		c.Response().Header.Del(fiber.HeaderLocation)
		return c.Status(fiber.StatusOK).JSON(fiber.Map{"ok": true, "url": location, "duplicate": duplicate})
	}
	if location != "" {
		return c.Redirect(location, fiber.StatusSeeOther)
	}
	return c.SendStatus(status)
}
