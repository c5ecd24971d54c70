package positioning

import (
	"time"

	"github.com/shandong-emergency/chemguard/auth/signing"
)

// GatewayNonces remembers the nonces of the gateways' signed batches in the
// database (the HTTP API's store), so a batch replayed over another transport
// — or to another replica — is refused like a replayed request.
func (s *Service) GatewayNonces() signing.NonceStore { return signing.NewPGNonces(s.pool, s.cfg.Now) }

// Now is the module's clock (injected in tests), for transports that check a
// signature's timestamp against it.
func (s *Service) Now() time.Time { return s.cfg.Now() }
