package dualprevention

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

func sendFile(c *fiber.Ctx, contentType, name string, b []byte) error {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename*=UTF-8''`+url.PathEscape(name))
	return c.Send(b)
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (mod *Module) template(c *fiber.Ctx) error {
	if _, err := enterprise.CurrentMember(c); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := Template(&b); err != nil {
		return fmt.Errorf("dualprevention: template: %w", err)
	}
	return sendFile(c, xlsxType, "风险分级管控及隐患排查清单模板.xlsx", b.Bytes())
}

func (mod *Module) export(c *fiber.Ctx, m *enterprise.Member) error {
	var b bytes.Buffer
	if err := mod.svc.Export(c.Context(), m, &b); err != nil {
		return err
	}
	return sendFile(c, xlsxType, "风险分级管控及隐患排查清单-"+mod.svc.now().In(schemas.Shanghai).Format("20060102")+".xlsx", b.Bytes())
}

type importPage struct {
	enterprise.Page
	Problems []Problem
	Message  string
	Result   *ImportResult
}

func (mod *Module) importPage(c *fiber.Ctx, m *enterprise.Member) error {
	if err := mustManage(m); err != nil {
		return err
	}
	return mod.pc.Render(c, "import", importPage{Page: enterprise.NewPage(c, "导入清单", false)})
}

func (mod *Module) importPost(c *fiber.Ctx, m *enterprise.Member) error {
	p := importPage{Page: enterprise.NewPage(c, "导入清单", false)}
	fh, err := c.FormFile("file")
	if err != nil {
		return chemguard.Errorf(chemguard.EInvalid, "请选择要导入的 Excel 文件", "choose the Excel file to import")
	}
	file, err := fh.Open()
	if err != nil {
		return fmt.Errorf("dualprevention: import: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(file, 20<<20))
	file.Close()
	if err != nil {
		return fmt.Errorf("dualprevention: import: %w", err)
	}
	res, err := mod.svc.Import(c.Context(), m, data)
	if err != nil {
		ps, msg, ok := problemsOf(err)
		if !ok {
			return err
		}
		p.Problems, p.Message = ps, msg
		c.Status(fiber.StatusUnprocessableEntity)
		if strings.Contains(c.Get(fiber.HeaderAccept), "application/json") {
			return c.JSON(fiber.Map{"message_zh": msg, "errors": ps})
		}
		return mod.pc.Render(c, "import", p)
	}
	p.Result = &res
	return mod.pc.Render(c, "import", p)
}

func (mod *Module) labels(c *fiber.Ctx, m *enterprise.Member) error {
	var ids []string
	for _, v := range c.Context().QueryArgs().PeekMulti("unit") {
		ids = append(ids, string(v))
	}
	var b bytes.Buffer
	if err := mod.svc.Labels(c.Context(), m, c.BaseURL(), ids, &b); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename*=UTF-8''`+url.PathEscape("二维码标签.pdf"))
	return c.Send(b.Bytes())
}

// ---- tasks ----

func (mod *Module) statsXLSX(c *fiber.Ctx) error {
	st, fs, ts, err := mod.statsOf(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := WriteStatsXLSX(&b, st); err != nil {
		return fmt.Errorf("dualprevention: stats xlsx: %w", err)
	}
	return sendFile(c, xlsxType, "排查任务完成情况-"+fs+"至"+ts+".xlsx", b.Bytes())
}

// ---- phone ----
