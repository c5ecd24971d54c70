package portal

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/identity"
	"github.com/shandong-emergency/chemguard/governancesvc"
	"github.com/shandong-emergency/chemguard/readmodel"
	"github.com/shandong-emergency/chemguard/schemas"
)

// monthLayout is the ?month= form, e.g. 2026-06.
const monthLayout = "2006-01"

// statsMonth reads ?month= (this month by default, not after it) and returns its
// first instant and the next month's, Shanghai time.
func (p *Portal) statsMonth(c *fiber.Ctx) (string, time.Time, time.Time, error) {
	now := p.cfg.Now().In(schemas.Shanghai)
	this := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, schemas.Shanghai)
	v := strings.TrimSpace(c.Query("month"))
	from := this
	if v != "" {
		m, err := time.ParseInLocation(monthLayout, v, schemas.Shanghai)
		if err != nil {
			return "", time.Time{}, time.Time{}, chemguard.Errorf(chemguard.EBadParam,
				"参数 month（月份）%q 格式不正确，应为 yyyy-MM，如 2026-06",
				"parameter month %q is not yyyy-MM, e.g. 2026-06", v)
		}
		if m.After(this) {
			return "", time.Time{}, time.Time{}, chemguard.Errorf(chemguard.EBadParam,
				"参数 month（月份）%s 尚未到来", "parameter month %s has not begun", v)
		}
		from = m
	}
	return from.Format(monthLayout), from, from.AddDate(0, 1, 0), nil
}

// monthAlarmStats is the month asked for and the caller's region's alarm
// statistics for it.
func (p *Portal) monthAlarmStats(c *fiber.Ctx) (string, time.Time, time.Time, []readmodel.AlarmTypeCount, error) {
	month, from, to, err := p.statsMonth(c)
	if err != nil {
		return "", from, to, nil, err
	}
	rows, err := p.companyQueries.AlarmStats(c.UserContext(), p.guard.Scope(c), from, to)
	return month, from, to, rows, err
}

type alarmStatsPage struct {
	Month  string
	Rows   []readmodel.AlarmTypeCount
	Total  int
	Region string
}

// alarmStats is 报警统计: the positioning and video alarms of the caller's region
// by county, source and type for a month — the monthly report's figures.
func (p *Portal) alarmStats(c *fiber.Ctx) error {
	month, _, _, rows, err := p.monthAlarmStats(c)
	if err != nil {
		return err
	}
	total := 0
	for _, r := range rows {
		total += r.Alarms
	}
	return p.render(c, "statistics_alarms", "报警统计", "statistics", alarmStatsPage{Month: month, Rows: rows,
		Total: total, Region: userRegion(c)})
}

// alarmStatsXLSX is the same figures as an Excel workbook.
func (p *Portal) alarmStatsXLSX(c *fiber.Ctx) error {
	month, from, to, rows, err := p.monthAlarmStats(c)
	if err != nil {
		return err
	}
	data, err := readmodel.AlarmStatsXLSX(userRegion(c), from, to, rows)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("报警分类统计-%s.xlsx", month)
	c.Set(fiber.HeaderContentType, governancesvc.XLSXContentType)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="alarm-statistics-%s.xlsx"; filename*=UTF-8''%s`,
		month, url.PathEscape(name)))
	return c.Send(data)
}

// userRegion names the caller's region for a title.
func userRegion(c *fiber.Ctx) string {
	if u := identity.UserFrom(c); u != nil {
		return readmodel.RegionName(u.Domain)
	}
	return ""
}
