package portal

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

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
	var ref, contentType string
	err = p.store.pool.QueryRow(c.UserContext(), `SELECT COALESCE(doc->'ALARM_IMAGE'->>'ref', ''),
		COALESCE(doc->'ALARM_IMAGE'->>'content_type', '') FROM `+t.SQLName()+` WHERE company_code = $1 AND record_key = $2`,
		e.Code, c.Params("alarm")).Scan(&ref, &contentType)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && ref == "") {
		return notFound
	}
	if err != nil {
		return err
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
