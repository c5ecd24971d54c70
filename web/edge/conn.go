package edge

import (
	"crypto/tls"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// tooManyConns is written to a connection refused for its address's count; the
// client learns why instead of seeing a reset.
var tooManyConns = func() []byte {
	body := `{"error":{"code":"rate_limited","message_zh":"来自本地址的连接过多，请稍后重试","message_en":"too many connections from your address; retry later"}}`
	return []byte("HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json; charset=utf-8\r\n" +
		"Retry-After: 10\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}()

// Listen wraps ln so that one client address holds at most MaxConnsPerIP open
// connections (trusted proxies exempt). Wrap the plain TCP listener, under TLS,
// so a refused connection costs no handshake.
func (g *Guard) Listen(ln net.Listener) net.Listener {
	return &listener{Listener: ln, g: g, open: map[netip.Addr]int{}}
}

type listener struct {
	net.Listener
	g    *Guard
	mu   sync.Mutex
	open map[netip.Addr]int
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := addrOf(c.RemoteAddr())
		if l.g.trusted(ip) {
			return &conn{Conn: c, l: l}, nil
		}
		l.mu.Lock()
		n := l.open[ip]
		ok := n < l.g.cfg.MaxConnsPerIP
		if ok {
			l.open[ip] = n + 1
		}
		l.mu.Unlock()
		if !ok {
			l.g.count(reasonConnsPerIP)
			go func() {
				_ = c.SetDeadline(time.Now().Add(time.Second))
				_, _ = c.Write(tooManyConns)
				_ = c.Close()
			}()
			continue
		}
		return &conn{Conn: c, l: l, ip: ip, counted: true}, nil
	}
}

// conn is an accepted connection: it gives back its address's count and runs
// the hooks registered on it (a stream's slot) when it closes.
type conn struct {
	net.Conn
	l       *listener
	ip      netip.Addr
	counted bool

	mu     sync.Mutex
	closed bool
	hooks  []func()
}

func (c *conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.Conn.Close()
	}
	c.closed = true
	hooks := c.hooks
	c.hooks = nil
	c.mu.Unlock()
	if c.counted {
		c.l.mu.Lock()
		if c.l.open[c.ip]--; c.l.open[c.ip] <= 0 {
			delete(c.l.open, c.ip)
		}
		c.l.mu.Unlock()
	}
	for _, h := range hooks {
		h()
	}
	return c.Conn.Close()
}

// onClose runs h when the connection closes (at once if it already has).
func (c *conn) onClose(h func()) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		h()
		return
	}
	c.hooks = append(c.hooks, h)
	c.mu.Unlock()
}

// tracked finds the edge connection under nc (which TLS may wrap).
func tracked(nc net.Conn) *conn {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	c, _ := nc.(*conn)
	return c
}

func addrOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
