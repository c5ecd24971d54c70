package warningsvc

import (
	"context"

	"github.com/shandong-emergency/chemguard/store"
)

// TryLead reports whether this service takes the tick lock, keeping the session
// open until the returned release is called.
func (s *Service) TryLead(ctx context.Context) (bool, func(), error) {
	l := store.NewLeader(s.pool, tickLock)
	held, err := l.TryLead(ctx)
	if err != nil {
		return false, nil, err
	}
	return held, l.Release, nil
}
