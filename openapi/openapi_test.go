package openapi_test

import (
	"encoding/json"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/openapi"
	"github.com/shandong-emergency/chemguard/schemas"
)

func nop(*fiber.Ctx) error { return nil }

// TestBuildFromRouteTable: the description is valid OpenAPI 3.1 that libopenapi
// reads back; the exchange routes become one path per registered table with that
// table's record schema; a route the catalogue lacks is still described and
// reported.
func TestBuildFromRouteTable(t *testing.T) {
	app := fiber.New()
	api := app.Group("/api/v1")
	g := api.Group("/exchange", nop)
	g.Post("/:slug", nop)
	g.Get("/:slug", nop)
	g.Get("/:slug/:id", nop)
	api.Post("/auth/login", nop)
	api.Get("/warnings/:id", nop)
	api.Get("/brand-new", nop)
	app.Get("/portal/", nop) // outside /api/v1: not described

	routes := openapi.RoutesOf(app)
	assert.Len(t, routes, 6)
	d, err := openapi.Build(routes, "test")
	require.NoError(t, err)
	assert.Equal(t, []openapi.Route{{Method: "GET", Path: "/api/v1/brand-new"}}, d.Undescribed)

	doc, err := libopenapi.NewDocument(d.JSON)
	require.NoError(t, err)
	model, err := doc.BuildV3Model()
	require.NoError(t, err)
	assert.Equal(t, "3.1.0", model.Model.Version)
	_, errs := validator.NewValidator(doc)
	require.Empty(t, errs)

	var raw struct {
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(d.JSON, &raw))
	for _, tbl := range schemas.Tables() {
		assert.Contains(t, raw.Paths, "/api/v1/exchange/"+tbl.Slug, tbl.Slug)
		assert.Contains(t, raw.Paths["/api/v1/exchange/"+tbl.Slug], "post")
		assert.Contains(t, raw.Paths, "/api/v1/exchange/"+tbl.Slug+"/{id}")
	}
	assert.Contains(t, raw.Paths["/api/v1/warnings/{id}"], "get")
	assert.NotContains(t, raw.Paths, "/portal/")
	rec := raw.Components.Schemas["HiddenDangersRecord"]
	require.NotNil(t, rec, "the hidden-danger table's record schema")
	props := rec["properties"].(map[string]any)
	for i := range schemas.HiddenDangers.Fields {
		assert.Contains(t, props, schemas.HiddenDangers.Fields[i].ID)
	}
	groups := d.Groups()
	require.NotEmpty(t, groups)
	assert.NotEmpty(t, d.Schemas())
}
