package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io/fs"

	"github.com/gofiber/fiber/v2"
)

// outboxJS is the phone apps' offline queue (static/outbox.js): one script
// for the inspector app and the base system's phone pages, each serving it
// under its own static prefix with Outbox.
//
//go:embed static/outbox.js
var outboxJS []byte

// Outbox serves the offline queue's script. It is revalidated on every load
// (no-cache): the service worker's install fetches it into the shell cache,
// and an hour-old HTTP copy would install a stale queue.
func Outbox(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	return c.Send(outboxJS)
}

// ShellVersion is a digest of every file of fsyss and of the offline queue's
// script: the name of a phone app's cache of its shell, which the service
// worker serves cache-first. Any change to a script, style, icon or the
// offline page changes the worker, so phones that installed the app update
// their shell instead of keeping the old one for ever.
func ShellVersion(fsyss ...fs.FS) string {
	h := sha256.New()
	fmt.Fprintf(h, "outbox.js\x00%d\x00", len(outboxJS))
	h.Write(outboxJS)
	for _, fsys := range fsyss {
		err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(fsys, path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
			h.Write(b)
			return nil
		})
		if err != nil {
			panic(err) // embedded at build time
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// ServiceWorker returns the handler of a phone app's service worker: script
// with its shell cache named '<shell>-v1' renamed '<shell>-<ShellVersion>' of
// fsyss (what the shell is made of). The worker is never cached by HTTP, so a
// new version is picked up on the next visit. It panics when script does not
// name the cache '<shell>-v1' (a mistake in the embedded worker).
func ServiceWorker(script []byte, shell string, fsyss ...fs.FS) fiber.Handler {
	placeholder := []byte("'" + shell + "-v1'")
	if !bytes.Contains(script, placeholder) {
		panic(fmt.Sprintf("web: service worker does not name its shell cache %s", placeholder))
	}
	body := bytes.Replace(script, placeholder, []byte("'"+shell+"-"+ShellVersion(fsyss...)+"'"), 1)
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
		return c.Send(body)
	}
}
