package enterprise

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/web"
)

//go:embed templates/*.html
var shellFS embed.FS

// Page is what the shell's layout needs; a module's page data embeds it
// (struct{ enterprise.Page; Rows []Row }) and fills it with NewPage.
type Page struct {
	Title   string
	Member  *Member
	CSRF    string    // the form token every POST form carries as _csrf
	Nav     []NavItem // the entries the member may see (PC or phone)
	Current string    // the request path, to mark the current entry
	Phone   bool
	Unread  int // the member's unread notifications, shown in the shell
}

type pageKey struct{}

type unreadKey struct{}

// setUnread is the member's unread count for the shell (the guard sets it).
func setUnread(c *fiber.Ctx, n int) { c.Locals(unreadKey{}, n) }

// pageContext is what the foundation's middleware puts on each request for
// NewPage.
type pageContext struct {
	csrf       string
	pc, phone  []NavItem
	phonePages bool
}

// SetPageContext is called by the foundation's middleware: the request's form
// token and the navigation the member may see.
func SetPageContext(c *fiber.Ctx, csrfToken string, pc, phone []NavItem) {
	c.Locals(pageKey{}, &pageContext{csrf: csrfToken, pc: pc, phone: phone})
}

// NewPage returns the shell's data for a page titled title; phone selects the
// phone navigation.
func NewPage(c *fiber.Ctx, title string, phone bool) Page {
	p := Page{Title: title, Member: MemberFrom(c), Current: c.Path(), Phone: phone}
	p.Unread, _ = c.Locals(unreadKey{}).(int)
	if pc, ok := c.Locals(pageKey{}).(*pageContext); ok {
		p.CSRF = pc.csrf
		p.Nav = pc.pc
		if phone {
			p.Nav = pc.phone
		}
	}
	return p
}

// Pages parses a module's PC pages (moduleFS's templates/NAME.html, each
// defining "content") inside the shell's layout; PhonePages inside the phone
// layout. The shell's layout is the only one: modules never copy it.
func Pages(moduleFS fs.FS, funcs template.FuncMap, names ...string) (*web.Templates, error) {
	return web.ParseTemplates(shellOverlay{module: moduleFS, layout: "templates/layout.html"}, funcs, names, nil)
}

// PhonePages is Pages for the phone pages under PhonePrefix.
func PhonePages(moduleFS fs.FS, funcs template.FuncMap, names ...string) (*web.Templates, error) {
	return web.ParseTemplates(shellOverlay{module: moduleFS, layout: "templates/phone_layout.html"}, funcs, names, nil)
}

// ModulePages parses a module's PC and phone pages at once (Pages and
// PhonePages): every module has both, and a template that fails to parse names
// the module's templates, not which of the two sets it was in.
func ModulePages(moduleFS fs.FS, funcs template.FuncMap, pcNames, phoneNames []string) (pc, phone *web.Templates, err error) {
	if pc, err = Pages(moduleFS, funcs, pcNames...); err != nil {
		return nil, nil, fmt.Errorf("pages: %w", err)
	}
	if phone, err = PhonePages(moduleFS, funcs, phoneNames...); err != nil {
		return nil, nil, fmt.Errorf("phone pages: %w", err)
	}
	return pc, phone, nil
}

// shellOverlay serves templates/layout.html from the shell and every other file
// from the module.
type shellOverlay struct {
	module fs.FS
	layout string
}

func (o shellOverlay) Open(name string) (fs.File, error) {
	if name == "templates/layout.html" {
		return shellFS.Open(o.layout)
	}
	return o.module.Open(name)
}

// FormAction is a module's POST handler for a form on one of its pages: fn
// runs for the signed-in member; an error shown accepts (the member's own
// input refused) is drawn on the page render draws, with the status it maps
// to, so nothing else on the page is lost; any other error goes to the app's
// error page; success redirects (303) to next.
func FormAction(fn func(c *fiber.Ctx, m *Member) error, shown func(error) (*chemguard.Error, bool),
	render func(c *fiber.Ctx, problem *chemguard.Error) error, next func(c *fiber.Ctx) string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, err := CurrentMember(c)
		if err != nil {
			return err
		}
		if err := fn(c, m); err != nil {
			if e, ok := shown(err); ok {
				c.Status(web.HTTPStatus(err))
				return render(c, e)
			}
			return err
		}
		return c.Redirect(next(c), fiber.StatusSeeOther)
	}
}

// InputRefusal is FormAction's shown for pages that show every refusal but
// a fault (EInternal), a missing record (ENotFound) and a missing right
// (EForbidden), which the error page explains better than a form can.
func InputRefusal(err error) (*chemguard.Error, bool) {
	var e *chemguard.Error
	if errors.As(err, &e) && e.Code != chemguard.EInternal && e.Code != chemguard.ENotFound && e.Code != chemguard.EForbidden {
		return e, true
	}
	return nil, false
}

// Flash is path with the message its page shows once, at the top, after a
// post redirected there (the page reads ?flash=): the redirect-after-post of
// every module's forms.
func Flash(path, msg string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "flash=" + url.QueryEscape(msg)
}
