package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/shandong-emergency/chemguard/queryparam"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/web/csrf"
)

// Defaults the UIs share.
const (
	// DefaultPageSize is the rows per page of a list.
	DefaultPageSize = 20
	// DefaultOnlineWindow: a company that uploaded anything within it is online.
	DefaultOnlineWindow = 30 * time.Minute
)

// Pager is one page of a list, as the "pager" template shows it.
type Pager struct {
	Number, Pages, Total int
	PrevURL, NextURL     string
}

// maxPage bounds ?page= so that an offset stays far from overflowing.
const maxPage = 100000

// PageNumber reads the page number ?page= (1 when absent); a page that is not a
// number or out of 1…100000 is a bad_parameter error (400), not quietly page
// 1, so a mistyped link is seen as one.
func PageNumber(c *fiber.Ctx) (int, error) {
	return queryparam.Int(c, "page", 1, 1, maxPage)
}

// NewPager is page number of a list of total rows, size per page, with links to
// its neighbours: path with the query q (its empty values left out) and page=n.
func NewPager(path string, q url.Values, number, size, total int) Pager {
	pg := Pager{Number: number, Total: total, Pages: (total + size - 1) / size}
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			if len(vs) > 0 && vs[0] != "" {
				v.Set(k, vs[0])
			}
		}
		v.Set("page", strconv.Itoa(n))
		return path + "?" + v.Encode()
	}
	if number > 1 {
		pg.PrevURL = link(number - 1)
	}
	if number < pg.Pages {
		pg.NextURL = link(number + 1)
	}
	return pg
}

// Templates are a UI's pages: each one templates/layout.html with the page's
// own templates/NAME.html, executed from "layout.html".
type Templates struct {
	pages map[string]*template.Template
}

// baseFuncs are the template helpers every UI has; a UI's own funcs of the same
// name take their place.
var baseFuncs = template.FuncMap{
	// when shows a time in Shanghai in the seed's layout.
	"when": func(t time.Time) string { return t.In(schemas.Shanghai).Format(schemas.DateTimeLayout) },
	// whenp is when for an optional time, "" when there is none.
	"whenp": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(schemas.Shanghai).Format(schemas.DateTimeLayout)
	},
}

// ParseTemplates parses the pages names from fsys with the base helpers and
// funcs; with, when not nil, names further files a page needs (a section's
// navigation). The error names the page that does not parse.
func ParseTemplates(fsys fs.FS, funcs template.FuncMap, names []string, with func(name string) []string) (*Templates, error) {
	all := template.FuncMap{}
	for k, f := range baseFuncs {
		all[k] = f
	}
	for k, f := range funcs {
		all[k] = f
	}
	t := &Templates{pages: make(map[string]*template.Template, len(names))}
	for _, name := range names {
		files := []string{"templates/layout.html", "templates/" + name + ".html"}
		if with != nil {
			files = append(files, with(name)...)
		}
		page, err := template.New("layout.html").Funcs(all).ParseFS(fsys, files...)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		t.pages[name] = page
	}
	return t, nil
}

// Render answers c with page name executed on v, as text/html. The page is
// executed into memory first, so a template error becomes an error page rather
// than half a page.
func (t *Templates) Render(c *fiber.Ctx, name string, v any) error {
	page, ok := t.pages[name]
	if !ok {
		return fmt.Errorf("web: render %s: no such page", name)
	}
	var b strings.Builder
	if err := page.ExecuteTemplate(&b, "layout.html", v); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	c.Type("html", "utf-8")
	return c.SendString(b.String())
}

// Static serves the directory dir of fsys (embedded in the binary: government
// networks are often closed, so nothing comes from a CDN) under path, cached
// for an hour.
func Static(app fiber.Router, path string, fsys fs.FS, dir string) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the embedded directory exists at build time
	}
	app.Use(path, filesystem.New(filesystem.Config{Root: http.FS(sub), MaxAge: 3600}))
}

// PageHeaders is the middleware of a UI's pages: no caching of regional data by
// HTTP caches, no MIME sniffing, no framing, the content security policy csp;
// and a form post without the page's CSRF token (or from another origin) is
// refused through fail, which shows the error as the UI does.
func PageHeaders(csp string, forms csrf.Secrets, fail func(*fiber.Ctx, error) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		c.Set(fiber.HeaderXFrameOptions, "DENY")
		c.Set(fiber.HeaderContentSecurityPolicy, csp)
		if !csrf.Safe(c.Method()) {
			if err := forms.CheckForm(c); err != nil {
				return fail(c, err)
			}
		}
		return c.Next()
	}
}

// DateRange reads a list's day range from ?from= and ?to= (yyyy-mm-dd, Shanghai
// days, both included): the last days days up to today (now's Shanghai day)
// when absent or unreadable, one day when to is before from. It returns the
// half-open instants [from, to) to query and the two dates to show in the form.
func DateRange(c *fiber.Ctx, now time.Time, days int) (from, to time.Time, fromDate, toDate string) {
	n := now.In(schemas.Shanghai)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, schemas.Shanghai)
	from, to = today.AddDate(0, 0, -days+1), today.AddDate(0, 0, 1)
	if t, err := time.ParseInLocation(schemas.DateLayout, c.Query("from"), schemas.Shanghai); err == nil {
		from = t
	}
	if t, err := time.ParseInLocation(schemas.DateLayout, c.Query("to"), schemas.Shanghai); err == nil {
		to = t.AddDate(0, 0, 1)
	}
	if !to.After(from) {
		to = from.AddDate(0, 0, 1)
	}
	return from, to, from.Format(schemas.DateLayout), to.AddDate(0, 0, -1).Format(schemas.DateLayout)
}
