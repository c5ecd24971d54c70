package portal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard/openapi"
)

// APIDocs returns the platform's OpenAPI description, built from its route table.
type APIDocs func() (*openapi.Description, error)

// EnableAPIDocs gives the portal the 接口文档 page (/portal/api), rendered on the
// server from the description served at /api/v1/openapi.json — no script or style
// from outside the binary. Call it before Register.
func (p *Portal) EnableAPIDocs(d APIDocs) { p.apiDocs = d }

type apiDocsPage struct {
	JSONPath string
	Title    string
	Version  string
	Intro    string
	Groups   []openapi.Group
	Schemas  []openapi.SchemaView
}

func (p *Portal) apiDocsPage(c *fiber.Ctx) error {
	if p.apiDocs == nil {
		return fiber.ErrNotFound
	}
	d, err := p.apiDocs()
	if err != nil {
		return err
	}
	return p.render(c, "apidocs", "接口文档", "api", apiDocsPage{JSONPath: openapi.Path, Title: d.Doc.Info.Title,
		Version: d.Doc.Info.Version, Intro: d.Doc.Info.Description, Groups: d.Groups(), Schemas: d.Schemas()})
}
