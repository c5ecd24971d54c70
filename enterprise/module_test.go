package enterprise_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise"
)

type specOnly enterprise.ModuleSpec

func (s specOnly) Spec() enterprise.ModuleSpec   { return enterprise.ModuleSpec(s) }
func (specOnly) Register(pc, phone fiber.Router) {}

// A module's navigation is relative to its path; "/x" leaves it for the
// side's prefix; roles and order are kept.
func TestModuleNav(t *testing.T) {
	mod := specOnly{Path: "/dangers",
		PC:    []enterprise.NavItem{{Label: "清单"}, {Label: "统计", Path: "stats", Roles: enterprise.Supervisors}},
		Phone: []enterprise.NavItem{{Label: "登记", Path: "new"}, {Label: "验收", Path: "/accept"}},
	}
	pc, phone := enterprise.ModuleNav(mod)
	require.Equal(t, []enterprise.NavItem{{Label: "清单", Path: "/e/dangers"}, {Label: "统计", Path: "/e/dangers/stats", Roles: enterprise.Supervisors}}, pc)
	require.Equal(t, []enterprise.NavItem{{Label: "登记", Path: "/e/m/dangers/new"}, {Label: "验收", Path: "/e/m/accept"}}, phone)
	require.Contains(t, pc[1].Roles, policy.EnterpriseDeptHead)
}

// The ledger's fixed paths are mounted before /:id: "new", "import" and
// "stats" never reach the detail page; a nil handler is not mounted.
func TestMountLedgerFixedPathsBeforeID(t *testing.T) {
	app := fiber.New()
	say := func(s string) fiber.Handler { return func(c *fiber.Ctx) error { return c.SendString(s) } }
	enterprise.MountLedger(app.Group("/e/things"), enterprise.Ledger{List: say("list"), NewForm: say("new"), Detail: say("detail:"),
		ImportForm: say("import"), Stats: say("stats"), EditForm: say("edit")})
	for path, want := range map[string]string{"/e/things": "list", "/e/things/new": "new", "/e/things/import": "import",
		"/e/things/stats": "stats", "/e/things/7": "detail:", "/e/things/7/edit": "edit"} {
		resp, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		require.Equal(t, want, string(body), path)
	}
	resp, err := app.Test(httptest.NewRequest(http.MethodGet, "/e/things/export.xlsx", nil))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, "detail:", string(body), "no Export handler: the path is an id")
}

// An import is a manager's; a workbook without any of the template's sheets
// is refused naming them, in Chinese and English, on the field 文件; a
// template of two sheets may come back with one.
func TestOpenImport(t *testing.T) {
	book := func(sheet string) io.Reader {
		f, err := enterprise.NewBook(sheet)
		require.NoError(t, err)
		require.NoError(t, enterprise.WriteRows(f, sheet, 1, [][]any{{"编码"}, {"A1"}}))
		var buf bytes.Buffer
		require.NoError(t, f.Write(&buf))
		return &buf
	}
	safety := &enterprise.Member{Company: "C1", Roles: []policy.Role{policy.EnterpriseSafety}}
	staff := &enterprise.Member{Company: "C1", Roles: []policy.Role{policy.EnterpriseStaff}}

	_, err := enterprise.OpenImport(staff, book("设备"), "设备")
	require.Equal(t, chemguard.EForbidden, chemguard.ErrorCode(err))

	_, err = enterprise.OpenImport(safety, strings.NewReader("not a workbook"), "设备")
	require.Equal(t, chemguard.EInvalid, chemguard.ErrorCode(err))

	_, err = enterprise.OpenImport(safety, book("Sheet9"), "分析设备", "摄像头")
	var e *chemguard.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, chemguard.EInvalid, e.Code)
	require.Equal(t, "文件：缺少“分析设备”和“摄像头”工作表（请先下载模板）", e.MessageZH)
	require.Contains(t, e.MessageEN, "分析设备 or 摄像头")

	sheets, err := enterprise.OpenImport(safety, book("摄像头"), "分析设备", "摄像头")
	require.NoError(t, err)
	require.Nil(t, sheets["分析设备"])
	require.Equal(t, "A1", sheets["摄像头"][1].Cell(0))
}
