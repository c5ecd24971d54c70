package governancesvc

import (
	"context"

	"github.com/shandong-emergency/chemguard/governance"
	"github.com/shandong-emergency/chemguard/runner"
)

// Memory is company code's tracker memory as the service holds it
// (governance.Tracker.MarshalState), reloaded first only if another process wrote it.
func (s *Service) Memory(ctx context.Context, code string) ([]byte, error) {
	var out []byte
	err := s.states.Transact(ctx, runner.These(code), func(_ context.Context, t *runner.Txn[*governance.Tracker]) error {
		var err error
		out, err = t.Get(code).MarshalState()
		return err
	})
	return out, err
}

// TickFacts is how many facts one tick transaction gathers before it commits.
const TickFacts = tickFacts
