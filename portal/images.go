package portal

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/schemas"
)

// Files reads stored exchange files by reference; filestore.Dir implements it.
type Files interface {
	Get(ref string) ([]byte, error)
}

// alarmImage serves the ALARM_IMAGE of one video alarm of a company the caller
// may read: /portal/companies/:code/video-alarms/:table/:alarm/image, where table
// is video-alarms or gas-station-video-alarms.
func (p *Portal) alarmImage(c *fiber.Ctx) error {
	e, err := p.reachable(c, strings.Clone(c.Params("code")))
	if err != nil {
		return err
	}
	var t *schemas.Table
	switch c.Params("table") {
	case schemas.VideoAlarms.Slug:
		t = schemas.VideoAlarms
	case schemas.GasStationVideoAlarms.Slug:
		t = schemas.GasStationVideoAlarms
	default:
		return fiber.ErrNotFound
	}
	notFound := chemguard.Errorf(chemguard.ENotFound, "没有该报警图片", "no such alarm image")
	ref, contentType, err := p.companyQueries.AlarmImage(c.UserContext(), t, e.Code, c.Params("alarm"))
	if err != nil {
		return err
	}
	if ref == "" {
		return notFound
	}
	if p.files == nil {
		return notFound
	}
	data, err := p.files.Get(ref)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(contentType, "image/") {
		contentType = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(data)
}
