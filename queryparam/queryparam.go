// Package queryparam reads the query parameters of API requests strictly: a parameter
// that is present but cannot be read is the client's mistake and is answered 400
// with a bilingual message, never replaced by a default. (fiber's QueryInt returns
// the default for "limit=abc", which silently serves a page the client did not ask
// for.)
package queryparam

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
)

// MaxLimit is the largest page any list serves.
const MaxLimit = 1000

// Errorf is the error for a query parameter that cannot be read: code
// chemguard.EBadParam, HTTP 400.
func Errorf(zh, en string, args ...any) *chemguard.Error {
	return chemguard.Errorf(chemguard.EBadParam, zh, en, args...)
}

// Int returns the integer parameter name, def when it is absent or empty, or a 400
// error when it is not an integer or falls outside [lo, hi].
func Int(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, Errorf("查询参数 %s「%s」不是整数，应为 %d～%d 之间的整数", "query parameter %s=%q is not an integer; it must be between %d and %d",
			name, s, lo, hi)
	}
	if n < lo || n > hi {
		return 0, Errorf("查询参数 %s 须在 %d～%d 之间，收到 %d", "query parameter %s must be between %d and %d, got %d", name, lo, hi, n)
	}
	return n, nil
}

// Limit is the page size parameter "limit": 1 to MaxLimit, def when absent.
func Limit(c *fiber.Ctx, def int) (int, error) {
	return Int(c, "limit", def, 1, MaxLimit)
}

// Int64 returns the integer parameter name (an id or sequence number, ≥ 0), def
// when absent, or a 400 error.
func Int64(c *fiber.Ctx, name string, def int64) (int64, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, Errorf("查询参数 %s「%s」应为非负整数编号", "query parameter %s=%q must be a non-negative integer id", name, s)
	}
	return n, nil
}

// Cursor decodes the opaque paging cursor parameter "cursor" (base64url of a JSON
// value, as the previous page's next_cursor) into dst. It reports whether one was
// given; a cursor that does not decode is a 400 error.
func Cursor(c *fiber.Ctx, dst any) (bool, error) {
	s := c.Query("cursor")
	if s == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, dst) != nil {
		return false, Errorf("查询参数 cursor 无效：请原样传回上一页返回的 next_cursor", "invalid cursor: pass back the previous page's next_cursor unchanged")
	}
	return true, nil
}

// EncodeCursor is the next_cursor for v, the inverse of Cursor.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}
