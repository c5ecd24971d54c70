package form_test

import (
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/web/form"
)

func TestIntReadsAWholeNumberAndZeroOtherwise(t *testing.T) {
	app := fiber.New()
	app.Post("/", func(c *fiber.Ctx) error {
		return c.SendString(strconv.FormatInt(form.Int(c, "n"), 10))
	})
	for body, want := range map[string]string{"n=+42+": "42", "n=-7": "-7", "n=": "0", "n=x": "0", "n=1.5": "0", "m=3": "0"} {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := app.Test(req)
		require.NoError(t, err)
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		assert.Equal(t, want, b.String(), body)
	}
}
