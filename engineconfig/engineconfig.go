// Package engineconfig holds the checks every engine's versioned configuration
// makes alike — the warning models (models.yaml) and the governance rules: a
// version is present, since every decision records the version it was made
// under and an unversioned one cannot be traced; and no count, weight, share or
// duration is negative, since the engines subtract, compare and schedule with
// them and a negative one turns a deduction into a bonus or a deadline into
// the past; and every entry the engine reads is there. Each engine keeps its own rules beside these. Pure: no I/O.
package engineconfig

import (
	"errors"
	"fmt"
	"time"
)

// The errors the shared checks return, wrapped with the engine's name and the
// offending key (errors.Is finds them).
var (
	ErrNoVersion = errors.New("config has no version")
	ErrNegative  = errors.New("config holds a negative number or duration")
	ErrMissing   = errors.New("config lacks an entry the engine needs")
)

// Engine names the engine whose configuration is checked ("warning",
// "governance"); its errors start with the name.
type Engine string

// Version returns ErrNoVersion when v is empty.
func (e Engine) Version(v string) error {
	if v == "" {
		return fmt.Errorf("%s: %w", e, ErrNoVersion)
	}
	return nil
}

// Complete returns ErrMissing naming where and the first key of keys (the
// entries the engine reads: its fact kinds, a model's factors) that m lacks. An
// entry left out would score as zero without anyone having chosen zero.
func Complete[K ~string, V any](e Engine, where string, m map[K]V, keys []K) error {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return fmt.Errorf("%s: %w: %s.%s", e, ErrMissing, where, k)
		}
	}
	return nil
}

// Number is what NonNegative checks: counts, weights, shares and durations.
type Number interface {
	~int | ~int64 | ~float64
}

// NonNegative returns ErrNegative naming where (the configuration's key or
// section) when one of vs is below zero.
func NonNegative[T Number](e Engine, where string, vs ...T) error {
	for _, v := range vs {
		if v < 0 {
			return fmt.Errorf("%s: %w: %s", e, ErrNegative, where)
		}
	}
	return nil
}

// Positive returns ErrNegative naming where when one of ds is zero or below: a
// duration that must pass before something happens cannot be absent.
func Positive(e Engine, where string, ds ...time.Duration) error {
	for _, d := range ds {
		if d <= 0 {
			return fmt.Errorf("%s: %w: %s", e, ErrNegative, where)
		}
	}
	return nil
}
