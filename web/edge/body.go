package edge

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
)

// firstChunk is the first buffer a body is read into; it doubles from there.
const firstChunk = 8 << 10

// inflight counts the body bytes held by requests in progress.
type inflight struct {
	max int64
	n   atomic.Int64
}

// take reserves n bytes, or reports false when that would pass the cap.
func (f *inflight) take(n int64) bool {
	for {
		cur := f.n.Load()
		if cur+n > f.max {
			return false
		}
		if f.n.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

func (f *inflight) give(n int64) { f.n.Add(-n) }

// route returns the body rule of a request.
func (g *Guard) route(method, path string) Route {
	for _, r := range g.cfg.Routes {
		if (r.Method == "" || r.Method == method) && strings.HasPrefix(path, r.Prefix) {
			return r
		}
	}
	return Route{MaxBytes: g.cfg.MaxBodyBytes}
}

func tooLarge(limit int) error {
	return &chemguard.Error{Code: chemguard.ETooLarge,
		MessageZH: fmt.Sprintf("请求体超过本接口的上限 %d 字节，请分批上传", limit),
		MessageEN: fmt.Sprintf("the request body exceeds this endpoint's limit of %d bytes; split it", limit)}
}

func busy() error {
	return chemguard.Errorf(chemguard.EUnavailable, "服务器正在接收的数据已达上限，请稍后重试",
		"the server holds as many request bodies as it may; retry later")
}

// contentCoding is a Content-Encoding value in lower case, "" for none or identity.
func contentCoding(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "identity" {
		return ""
	}
	return v
}

// retryLater adds Retry-After to a refusal for want of capacity.
func retryLater(c *fiber.Ctx, err error) error {
	if chemguard.ErrorCode(err) == chemguard.EUnavailable {
		c.Set(fiber.HeaderRetryAfter, "5")
	}
	return err
}

var errBusy = errors.New("edge: in-flight body bytes exhausted")

// body reads the request body before any handler can: refused before a byte is
// read when its declared length passes the route's cap (headerReceived marked
// it), otherwise read into a buffer that grows only as bytes arrive and is
// reserved against the in-flight cap as it grows (so a client that declares 60 MB
// and sends one byte holds a few kilobytes, not 60 MB). Then gzip is decompressed
// through the same cap where the route accepts it and any other content coding is
// refused. The handler sees plain bytes: fiber's own decompression in c.Body()
// never runs, because the Content-Encoding header is gone.
func (g *Guard) body(c *fiber.Ctx) error {
	req := c.Request()
	rule := g.route(c.Method(), c.Path())
	if len(req.Header.Peek(refusedHeader)) > 0 {
		g.count(reasonBodyTooLarge)
		c.Context().SetConnectionClose() // the body was not read: the connection cannot carry another request
		return tooLarge(rule.MaxBytes)
	}
	var held int64
	defer func() { g.inflight.give(held) }()
	raw, n, err := g.read(c, rule.MaxBytes)
	held += n
	if err != nil {
		c.Context().SetConnectionClose()
		switch {
		case errors.Is(err, errBusy):
			g.count(reasonInflightFull)
			return retryLater(c, busy())
		case errors.Is(err, errTooLarge):
			g.count(reasonBodyTooLarge)
			return tooLarge(rule.MaxBytes)
		}
		g.count(reasonBodyUnreadable)
		return &chemguard.Error{Code: chemguard.EMalformed, MessageZH: "请求体未能完整接收（连接中断或超时）",
			MessageEN: "the request body could not be read in full (connection lost or timed out)", Err: err}
	}
	switch enc := contentCoding(string(req.Header.Peek(fiber.HeaderContentEncoding))); {
	case enc == "":
	case enc == "gzip" && rule.Gzip:
		out, n, err := g.gunzip(raw, rule.MaxBytes)
		held += n
		if err != nil {
			g.count(reasonGzip)
			return retryLater(c, err)
		}
		raw = out
	case rule.Gzip:
		g.count(reasonEncoding)
		return chemguard.Errorf(chemguard.EUnsupported, "不支持的内容编码「%s」，本接口只接受 gzip",
			"content encoding %q is not supported; this endpoint accepts gzip only", enc)
	default:
		g.count(reasonEncoding)
		return chemguard.Errorf(chemguard.EUnsupported, "本接口不接受压缩的请求体（Content-Encoding「%s」）",
			"this endpoint does not accept a compressed body (Content-Encoding %q)", enc)
	}
	req.Header.Del(fiber.HeaderContentEncoding)
	req.SetBody(raw)
	return c.Next()
}

// read returns the request's body, at most limit bytes, and the bytes it reserved.
// A body the server already holds (not streamed) is only measured.
func (g *Guard) read(c *fiber.Ctx, limit int) ([]byte, int64, error) {
	req := c.Request()
	declared := req.Header.ContentLength() // -1 chunked, -2 none
	stream := req.BodyStream()
	if stream == nil || declared == 0 || declared == -2 {
		if len(req.Body()) > limit {
			return nil, 0, errTooLarge
		}
		return req.Body(), 0, nil
	}
	return g.readStream(stream, declared, limit)
}

var errTooLarge = errors.New("edge: body too large")

// readStream reads a body stream of declared length (-1 unknown) up to limit bytes. The
// buffer grows geometrically from a few kilobytes, and every growth is reserved
// against the in-flight cap first, so what a request holds is what its client has
// actually sent. It returns the bytes reserved, which the caller gives back when
// the request ends.
func (g *Guard) readStream(r io.Reader, declared, limit int) ([]byte, int64, error) {
	var held int64
	var buf []byte
	for {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				return nil, held, errTooLarge
			}
			if declared >= 0 && len(buf) >= declared {
				return buf, held, nil
			}
			size := max(2*cap(buf), firstChunk)
			if declared >= 0 {
				size = min(size, declared)
			} else {
				size = min(size, limit+1) // one byte past the cap tells that it was passed
			}
			if !g.inflight.take(int64(size - cap(buf))) {
				return nil, held, errBusy
			}
			held += int64(size - cap(buf))
			grown := make([]byte, len(buf), size)
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			if declared >= 0 && len(buf) < declared {
				return nil, held, fmt.Errorf("edge: body ended after %d of %d bytes: %w", len(buf), declared, io.ErrUnexpectedEOF)
			}
			if len(buf) > limit {
				return nil, held, errTooLarge
			}
			return buf, held, nil
		}
		if err != nil {
			return nil, held, fmt.Errorf("edge: read body: %w", err)
		}
	}
}

// gunzip decompresses raw through limit bytes of output. It inflates twice: first
// only counting, so a bomb is refused without holding any of its output, then into
// a buffer of the size the count found, reserved against the in-flight cap.
func (g *Guard) gunzip(raw []byte, limit int) ([]byte, int64, error) {
	malformed := chemguard.Errorf(chemguard.EMalformed, "请求体声明为 gzip 但无法解压", "the body is declared gzip but cannot be decompressed")
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, 0, malformed
	}
	n, err := io.Copy(io.Discard, io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return nil, 0, malformed
	}
	if n > int64(limit) {
		return nil, 0, &chemguard.Error{Code: chemguard.ETooLarge,
			MessageZH: fmt.Sprintf("gzip 解压后的请求体超过本接口的上限 %d 字节，请分批上传", limit),
			MessageEN: fmt.Sprintf("the gzip body decompresses to more than this endpoint's limit of %d bytes; split it", limit)}
	}
	if !g.inflight.take(n) {
		return nil, 0, busy()
	}
	if err := zr.Reset(bytes.NewReader(raw)); err != nil {
		return nil, n, malformed
	}
	out := make([]byte, n)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, n, malformed
	}
	return out, n, nil
}
