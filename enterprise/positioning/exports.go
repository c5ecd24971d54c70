package positioning

import (
	"bytes"
	"fmt"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard/enterprise"
)

func (mod *Module) peopleTemplate(c *fiber.Ctx) error {
	if _, err := enterprise.CurrentMember(c); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := PeopleTemplate(&buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="positioning-people-template.xlsx"; filename*=UTF-8''`+url.PathEscape("人员与定位卡导入模板.xlsx"))
	return c.Send(buf.Bytes())
}

func (mod *Module) alarmsXLSX(c *fiber.Ctx, m *enterprise.Member) error {
	from, to, fs, ts := dayRange(c, mod.svc.cfg.Now())
	alarms, err := mod.svc.Alarms(c.Context(), m.Company, AlarmFilter{From: from, To: to, Type: c.Query("type")})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := AlarmsExcel(alarms, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="positioning-alarms-%s-%s.xlsx"`, fs, ts))
	return c.Send(buf.Bytes())
}
