package positioning

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
)

// The phone pages (/e/m/positioning) are for the guardian or safety officer on
// site: the open alarms of their areas, each opened, handled and confirmed
// where they stand, and who is inside the alarm's area right now (the
// evacuation list) so that nobody is left behind.

// Areas returns the fences that are m's on site: the post fence the module
// has for m (人员与定位卡 → 岗位区域) and the special-operation areas of the
// permits under way that name m as guardian (监护人). Nil when the module
// knows none: m then sees the whole company's alarms.
func (s *Service) Areas(ctx context.Context, m *enterprise.Member) ([]int64, error) {
	var out []int64
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT post_fence_id FROM pos_people
		WHERE company = $1 AND user_id = $2 AND deleted_at IS NULL AND post_fence_id IS NOT NULL`, m.Company, m.UserID)
	if err != nil {
		return nil, fmt.Errorf("positioning: areas: %w", err)
	}
	posts, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("positioning: areas: %w", err)
	}
	out = append(out, posts...)
	permits, err := s.cfg.Permits.UnderWay(ctx, s.pool, m.Company, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	var places []string
	for _, w := range permits {
		if w.GuardianID == m.UserID && w.Place != "" {
			places = append(places, w.Place)
		}
	}
	if len(places) > 0 {
		fs, err := s.Fences(ctx, m.Company)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if f.Kind == KindWork && slices.Contains(places, f.Name) && !slices.Contains(out, f.ID) {
				out = append(out, f.ID)
			}
		}
	}
	return out, nil
}

// inside is the evacuation list of fence in live: the people whose last fix
// lies in it.
func inside(live Live, fence int64) []LivePerson {
	var out []LivePerson
	if fence == 0 {
		return nil
	}
	for _, p := range live.People {
		if slices.Contains(p.Fences, fence) {
			out = append(out, p)
		}
	}
	return out
}

// phoneArea is an area on the phone's list with the people inside it now.
type phoneArea struct {
	FenceCount
	People []LivePerson
}

type phoneIndexPage struct {
	enterprise.Page
	Alarms    []Alarm
	Areas     []phoneArea
	Mine      bool // the list is of the member's own areas
	Suspended bool
}

// phoneIndex lists the open alarms — of the member's areas when the module
// knows them (and those of no area, like an SOS), else the company's;
// managers always see the company's — and
// the areas with people in them: the member's areas, or every occupied one.
func (mod *Module) phoneIndex(c *fiber.Ctx, m *enterprise.Member) error {
	var err error
	var areas []int64
	if !manager(m) {
		if areas, err = mod.svc.Areas(c.Context(), m); err != nil {
			return err
		}
	}
	live, err := mod.svc.Live(c.Context(), m.Company)
	if err != nil {
		return err
	}
	p := phoneIndexPage{Page: enterprise.NewPage(c, "人员定位", true), Mine: len(areas) > 0, Suspended: live.Suspended}
	for _, a := range live.Alarms {
		// An alarm of no area (一键求救) is everyone's on site.
		if len(areas) == 0 || a.FenceID == 0 || slices.Contains(areas, a.FenceID) {
			p.Alarms = append(p.Alarms, a)
		}
	}
	for _, f := range live.Fences {
		if (len(areas) == 0 && f.Count > 0) || slices.Contains(areas, f.ID) {
			p.Areas = append(p.Areas, phoneArea{FenceCount: f, People: inside(live, f.ID)})
		}
	}
	return mod.phone.Render(c, "m_index", p)
}

func (mod *Module) phoneAlarm(c *fiber.Ctx) error {
	return mod.renderAlarm(c, c.Params("id"), nil, nil, true)
}

func (mod *Module) phoneAlarmAction(fn func(c *fiber.Ctx, m *enterprise.Member) error) fiber.Handler {
	return enterprise.FormAction(fn, shown, func(c *fiber.Ctx, e *chemguard.Error) error { return mod.renderAlarm(c, c.Params("id"), e, nil, true) }, func(c *fiber.Ctx) string {
		return enterprise.Flash(enterprise.PhonePrefix+"/positioning/alarms/"+url.PathEscape(c.Params("id")), "已保存")
	})
}

func (mod *Module) registerPhone(phone fiber.Router) {
	phone.Get("/positioning", enterprise.WithMember(mod.phoneIndex))
	phone.Get("/positioning/alarms/:id", mod.phoneAlarm)
	phone.Post("/positioning/alarms/:id/handle", mod.phoneAlarmAction(mod.handleAlarm))
	phone.Post("/positioning/alarms/:id/confirm", mod.phoneAlarmAction(mod.confirmAlarm))
}
