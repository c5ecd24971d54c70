package web_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/web"
)

func TestHTTPStatus(t *testing.T) {
	for _, tc := range []struct {
		code string
		want int
	}{
		{chemguard.EInvalid, 422},
		{chemguard.EMalformed, 400},
		{chemguard.EBadParam, 400},
		{chemguard.ENotFound, 404},
		{chemguard.EConflict, 409},
		{chemguard.EUnauthorized, 401},
		{chemguard.EForbidden, 403},
		{chemguard.ETooLarge, 413},
		{chemguard.EUnsupported, 415},
		{chemguard.ERateLimited, 429},
		{chemguard.EUnavailable, 503},
		{chemguard.EInternal, 500},
		{"no_such_code", 500},
	} {
		t.Run(tc.code, func(t *testing.T) {
			err := chemguard.Errorf(tc.code, "中文", "english")
			assert.Equal(t, tc.want, web.HTTPStatus(err))
			assert.Equal(t, tc.want, web.HTTPStatus(fmt.Errorf("pkg: op: %w", err)), "wrapped")
		})
	}
	assert.Equal(t, 405, web.HTTPStatus(fiber.ErrMethodNotAllowed), "a fiber error keeps its status")
	assert.Equal(t, 500, web.HTTPStatus(errors.New("disk full")))
}

// answer runs err through ErrorHandler and returns the status and the "error" object.
func answer(t *testing.T, err error) (int, map[string]any) {
	t.Helper()
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler, DisableStartupMessage: true})
	app.Get("/x", func(*fiber.Ctx) error { return err })
	resp, rerr := app.Test(httptest.NewRequest(fiber.MethodGet, "/x", nil), -1)
	require.NoError(t, rerr)
	b, rerr := io.ReadAll(resp.Body)
	require.NoError(t, rerr)
	var body struct{ Error map[string]any }
	require.NoError(t, json.Unmarshal(b, &body), string(b))
	return resp.StatusCode, body.Error
}

func TestErrorHandler(t *testing.T) {
	t.Run("an application error is sent in both languages with its details", func(t *testing.T) {
		err := &chemguard.Error{Code: chemguard.EInvalid, MessageZH: "字段缺失", MessageEN: "field missing",
			Details: []string{"a"}, Err: errors.New("secret cause")}
		status, body := answer(t, fmt.Errorf("ingest: %w", err))
		assert.Equal(t, 422, status)
		assert.Equal(t, map[string]any{"code": "invalid", "message_zh": "字段缺失", "message_en": "field missing",
			"details": []any{"a"}}, body)
	})
	t.Run("an internal error's text is never sent", func(t *testing.T) {
		for _, err := range []error{errors.New("pq: password authentication failed for db 10.0.0.5"),
			&chemguard.Error{Code: chemguard.EInternal, MessageZH: "内部", MessageEN: "host 10.0.0.5"}} {
			status, body := answer(t, err)
			assert.Equal(t, 500, status)
			assert.Equal(t, "internal", body["code"])
			assert.NotContains(t, fmt.Sprint(body), "10.0.0.5")
		}
	})
	t.Run("a fiber error gets a code and a Chinese message", func(t *testing.T) {
		status, body := answer(t, fiber.ErrRequestEntityTooLarge)
		assert.Equal(t, 413, status)
		assert.Equal(t, "request_entity_too_large", body["code"])
		assert.Equal(t, "请求体过大，请分批上传", body["message_zh"])
	})
}

func TestErrorMessage(t *testing.T) {
	app := fiber.New()
	c := app.AcquireCtx(&fasthttp.RequestCtx{})
	defer app.ReleaseCtx(c)
	for _, tc := range []struct {
		err    error
		status int
		msg    string
	}{
		{chemguard.Errorf(chemguard.EForbidden, "无权查看该企业", "forbidden"), 403, "无权查看该企业"},
		{fiber.ErrNotFound, 404, "未找到该页面"},
		{fiber.ErrMethodNotAllowed, 405, "Method Not Allowed"},
		{errors.New("select failed: relation users"), 500, "服务器内部错误，已记录，请稍后重试"},
	} {
		status, msg := web.ErrorMessage(c, tc.err)
		assert.Equal(t, tc.status, status, tc.err)
		assert.Equal(t, tc.msg, msg, tc.err)
	}
}
