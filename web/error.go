package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/shandong-emergency/chemguard"
)

// HTTPStatus is the one map from error codes to HTTP statuses. A *fiber.Error
// (a route that does not exist, a body over the server's limit) keeps its own
// status; an error without a code is a 500.
func HTTPStatus(err error) int {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	switch chemguard.ErrorCode(err) {
	case chemguard.EInvalid:
		return fiber.StatusUnprocessableEntity
	case chemguard.EMalformed, chemguard.EBadParam:
		return fiber.StatusBadRequest
	case chemguard.ENotFound:
		return fiber.StatusNotFound
	case chemguard.EConflict:
		return fiber.StatusConflict
	case chemguard.EUnauthorized:
		return fiber.StatusUnauthorized
	case chemguard.EForbidden:
		return fiber.StatusForbidden
	case chemguard.ETooLarge:
		return fiber.StatusRequestEntityTooLarge
	case chemguard.EUnsupported:
		return fiber.StatusUnsupportedMediaType
	case chemguard.ERateLimited:
		return fiber.StatusTooManyRequests
	case chemguard.EUnavailable:
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}

// internalZH and internalEN are all a client learns of an internal error: its
// cause may name tables, hosts or data, so it goes to the log only.
const (
	internalZH = "服务器内部错误，已记录，请稍后重试"
	internalEN = "internal error; it was logged, retry later"
)

// ErrorHandler is fiber's error handler for the whole platform: the status from
// HTTPStatus and the JSON body {"error": {code, message_zh, message_en,
// details}}; internal details only in the log.
func ErrorHandler(c *fiber.Ctx, err error) error {
	status := HTTPStatus(err)
	var body fiber.Map
	var ae *chemguard.Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &ae) && ae.Code != chemguard.EInternal:
		body = fiber.Map{"code": ae.Code, "message_zh": ae.MessageZH, "message_en": ae.MessageEN}
		if ae.Details != nil {
			body["details"] = ae.Details
		}
		if ae.Err != nil {
			slog.Warn("request failed", "path", c.Path(), "code", ae.Code, "err", ae.Err)
		}
	case errors.As(err, &fe):
		zh := fe.Message
		switch fe.Code {
		case fiber.StatusRequestEntityTooLarge:
			zh = "请求体过大，请分批上传"
		case fiber.StatusNotFound:
			zh = "未找到该地址"
		case fiber.StatusMethodNotAllowed:
			zh = "不支持该请求方法"
		}
		body = fiber.Map{"code": strings.ToLower(strings.ReplaceAll(utils.StatusMessage(fe.Code), " ", "_")), "message_zh": zh, "message_en": fe.Message}
	default:
		status = fiber.StatusInternalServerError
		slog.Error("internal error", "path", c.Path(), "err", err)
		body = fiber.Map{"code": chemguard.EInternal, "message_zh": internalZH, "message_en": internalEN}
	}
	return c.Status(status).JSON(fiber.Map{"error": body})
}

// ErrorMessage is the HTTP status and Chinese message an error page shows for
// err. Internal errors are logged, never shown.
func ErrorMessage(c *fiber.Ctx, err error) (int, string) {
	status := HTTPStatus(err)
	var ae *chemguard.Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &ae) && ae.Code != chemguard.EInternal:
		return status, ae.MessageZH
	case errors.As(err, &fe):
		if fe.Code == fiber.StatusNotFound {
			return status, "未找到该页面"
		}
		return status, http.StatusText(fe.Code)
	}
	slog.Error("internal error", "path", c.Path(), "err", err)
	return fiber.StatusInternalServerError, internalZH
}
