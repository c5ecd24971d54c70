package form

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
)

// ErrMalformed is the refusal of a body that cannot be read into the form.
var ErrMalformed = chemguard.Errorf(chemguard.EMalformed, "请求体不是有效的 JSON", "the body is not valid JSON")

// Bind reads the request body (JSON, urlencoded or multipart form, by its
// content type) into v and checks it (Check). A body that cannot be read is
// ErrMalformed (400); a refused field is Check's invalid error (422).
func Bind(c *fiber.Ctx, v any) error {
	if err := c.BodyParser(v); err != nil {
		return ErrMalformed
	}
	return Check(v)
}

// Int is the form value key as an int64, 0 when it is absent or not a whole
// number: for the ids a page offers in a select, where 0 then matches no row
// and the lookup that follows refuses it with its own message.
func Int(c *fiber.Ctx, key string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue(key)), 10, 64)
	return n
}
