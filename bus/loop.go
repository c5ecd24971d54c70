package bus

import (
	"context"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
)

// FetchLoop is the loop every consumer stage runs: fetch a batch, hand it to handle,
// repeat until ctx ends. A failed fetch is logged under name and retried after a
// second; an error from handle ends the loop with that error.
func FetchLoop(ctx context.Context, name string, fetch func(context.Context) ([]kafka.Message, error),
	handle func([]kafka.Message) error) error {
	for {
		msgs, err := fetch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			slog.Warn(name+": fetch failed", "err", err)
			if !Sleep(ctx, time.Second) {
				return nil
			}
			continue
		}
		if err := handle(msgs); err != nil {
			return err
		}
	}
}

// Backoff is the wait before retry number attempt (0 first): 100 ms doubling, at
// most limit.
func Backoff(attempt int, limit time.Duration) time.Duration {
	return min(100*time.Millisecond<<min(attempt, 10), limit)
}

// Sleep waits d or until ctx ends, and reports whether it waited the whole d.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
