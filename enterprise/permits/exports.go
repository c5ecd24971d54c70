package permits

import (
	"bytes"
	"fmt"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/web"
)

func (mod *Module) pdf(risk bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, err := enterprise.CurrentMember(c)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		name := "permit"
		if risk {
			name = "risk"
			err = mod.svc.RiskSheetPDF(c.Context(), m, c.Params("id"), &buf)
		} else {
			err = mod.svc.PermitPDF(c.Context(), m, c.Params("id"), &buf)
		}
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/pdf")
		c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`inline; filename="%s-%s.pdf"`, name, c.Params("id")))
		return c.Send(buf.Bytes())
	}
}

func (mod *Module) file(c *fiber.Ctx, m *enterprise.Member) error {
	ref, _ := url.PathUnescape(c.Params("ref"))
	data, err := mod.svc.File(c.Context(), m, c.Params("id"), ref)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	c.Set(fiber.HeaderContentType, detectType(data))
	return c.Send(data)
}

func detectType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF")):
		return "application/pdf"
	case bytes.HasPrefix(b, []byte("\x89PNG")):
		return "image/png"
	case len(b) > 2 && b[0] == 0xFF && b[1] == 0xD8:
		return "image/jpeg"
	}
	return "application/octet-stream"
}

// ---- lists, statistics ----

func (mod *Module) listPDF(c *fiber.Ctx, m *enterprise.Member) error {
	from, to, _, _ := web.DateRange(c, mod.svc.cfg.Now(), 30)
	var buf bytes.Buffer
	if err := mod.svc.ListPDF(c.Context(), m, from, to, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	return c.Send(buf.Bytes())
}

func (mod *Module) statsXLSX(c *fiber.Ctx) error {
	m, err := mod.statsGuard(c)
	if err != nil {
		return err
	}
	from, to, fs, ts := web.DateRange(c, mod.svc.cfg.Now(), 30)
	var buf bytes.Buffer
	if err := mod.svc.StatsExcel(c.Context(), m, from, to, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="permits-%s-%s.xlsx"`, fs, ts))
	return c.Send(buf.Bytes())
}

// ---- base data ----
