// Package chemguard holds what every part of the platform shares: the application
// error type whose code decides the HTTP status in one place.
package chemguard

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP layer maps each to one status; nothing else does.
const (
	EInvalid      = "invalid"       // 422: every record invalid, bad parameters
	EMalformed    = "malformed"     // 400: the body cannot be read
	EBadParam     = "bad_parameter" // 400: a query parameter that cannot be read or is out of range
	ENotFound     = "not_found"     // 404
	EConflict     = "conflict"      // 409
	EUnauthorized = "unauthorized"  // 401: no or unknown credentials
	EForbidden    = "forbidden"     // 403: known caller, not allowed
	ETooLarge     = "too_large"     // 413
	EUnsupported  = "unsupported"   // 415: wrong content type
	ERateLimited  = "rate_limited"  // 429: too many requests; Retry-After says when to come back
	EUnavailable  = "unavailable"   // 503: a dependency cannot take the request now
	EInternal     = "internal"      // 500: a bug or an unexpected failure; details only in the log
)

// Error is an error a client may see: a code, a message in Chinese and English, and
// optional structured details. Err, the cause, is logged and never sent.
type Error struct {
	Code      string
	MessageZH string
	MessageEN string
	Details   any
	Err       error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.MessageEN, e.Err)
	}
	return e.Code + ": " + e.MessageEN
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the same text in both languages' slots filled.
func Errorf(code, zh, en string, args ...any) *Error {
	return &Error{Code: code, MessageZH: fmt.Sprintf(zh, args...), MessageEN: fmt.Sprintf(en, args...)}
}

// ErrorCode returns the code of err's *Error, or EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}
