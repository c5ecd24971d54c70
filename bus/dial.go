package bus

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/segmentio/kafka-go"
)

// dialTimeout bounds a connection's TCP dial and TLS handshake.
const dialTimeout = 10 * time.Second

// dialer is what kafka.Reader connects through. Its connections end with the
// context they were dialled under: kafka-go dials each partition's fetch
// connection under that partition reader's context and cancels it on Close and at
// every rebalance, but a fetch already waiting in the broker's idle long-poll
// (MaxWait, 5 s) went on waiting, so Close and each rebalance took up to 5 s
// (about 4 s of every platform's stop). Closing the connection returns the fetch
// at once. The group's coordinator connections are dialled without a context
// and live until kafka-go closes them.
//
// The timeout is the dial function's own, not kafka.Dialer.Timeout: that one
// would hand the dial a context of its own that ends when the dial returns.
func (c Config) dialer() *kafka.Dialer {
	return &kafka.Dialer{SASLMechanism: c.Security.SASL, DialFunc: dialUntilDone(c.Security.TLS)}
}

// dialUntilDone dials TCP (then TLS with tlsCfg, if any) within dialTimeout and
// returns a connection that closes itself when ctx ends.
func dialUntilDone(tlsCfg *tls.Config) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		dctx, cancel := context.WithTimeout(ctx, dialTimeout)
		defer cancel()
		conn, err := (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext(dctx, network, address)
		if err != nil {
			return nil, err
		}
		if tlsCfg != nil {
			cfg := tlsCfg
			if cfg.ServerName == "" {
				host, _, _ := net.SplitHostPort(address)
				cfg = tlsCfg.Clone()
				cfg.ServerName = host
			}
			tc := tls.Client(conn, cfg)
			if err := tc.HandshakeContext(dctx); err != nil {
				conn.Close()
				return nil, err
			}
			conn = tc
		}
		c := &untilDone{Conn: conn, ctx: ctx}
		c.stop = context.AfterFunc(ctx, func() { conn.Close() })
		return c, nil
	}
}

// untilDone is a connection closed when ctx ends. What it reads and writes after
// that fails with ctx's error, which kafka-go's partition reader takes as its
// cue to stop quietly (it logs any other read error as unknown).
type untilDone struct {
	net.Conn
	ctx  context.Context
	stop func() bool
}

func (c *untilDone) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	return n, c.why(err)
}

func (c *untilDone) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	return n, c.why(err)
}

func (c *untilDone) Close() error {
	c.stop()
	return c.Conn.Close()
}

func (c *untilDone) why(err error) error {
	if err != nil && c.ctx.Err() != nil {
		return fmt.Errorf("%w: %w", c.ctx.Err(), err)
	}
	return err
}
