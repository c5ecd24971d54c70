package alerting

import "context"

// TryLead reports whether this service takes the tick lock, keeping the session
// open until the returned release is called.
func (s *Service) TryLead(ctx context.Context) (bool, func(), error) {
	l, err := s.tryLead(ctx, nil)
	if err != nil {
		return false, nil, err
	}
	return l.held, l.release, nil
}
