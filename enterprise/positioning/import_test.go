package positioning_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise/enttest"
	"github.com/shandong-emergency/chemguard/pgtest"
)

// importPeople uploads book to the people page's import form as client.
func importPeople(t *testing.T, p *plant, client *enttest.Client, book []byte) enttest.Reply {
	t.Helper()
	page := client.Get("/e/")
	token := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page.Body)[1]
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	require.NoError(t, w.WriteField("csrf_token", token))
	fw, err := w.CreateFormFile("file", "人员.xlsx")
	require.NoError(t, err)
	_, err = fw.Write(book)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	req, err := http.NewRequest(http.MethodPost, p.app.URL()+"/e/positioning/people/import", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return client.Do(req)
}

// The template is downloaded, filled in as a safety officer would and
// imported: the good rows are registered with their tags, each bad one is
// reported with its row, column and rule in both languages, a person already
// registered is not registered twice; importing the same file again adds
// nothing. A staff member may not import.
func TestImportPeopleRoundTrip(t *testing.T) {
	p := newPlant(t)
	r := p.safety.Get("/e/positioning/people/template.xlsx")
	require.Equal(t, http.StatusOK, r.Status)
	x, err := excelize.OpenReader(strings.NewReader(r.Body))
	require.NoError(t, err)
	rows, err := x.GetRows("人员与定位卡")
	require.NoError(t, err)
	require.Equal(t, []string{"人员类别", "姓名/车牌号", "员工账号或手机号", "单位名称", "年龄", "工种", "培训情况", "卡号"}, rows[0])
	require.Len(t, rows, 7, "an example row per kind")

	principal := p.co.Members[policy.EnterprisePrincipal]
	for i := len(rows); i > 1; i-- {
		require.NoError(t, x.RemoveRow("人员与定位卡", 2))
	}
	for i, row := range [][]any{
		{"企业员工", "", principal.Username, "", 48, "主要负责人", "主要负责人安全培训", "P001"},
		{"访客", "周来访", "", "省化工研究院", 30, "", "入厂安全教育", "V002"},
		{"访客", "王来访", "", "济南安评中心", 45, "", "", ""}, // registered in newPlant
		{"车辆", "鲁A88888", "", "鲁运物流", "", "危化品罐车", "", "CAR8"},
		{"保安", "孙保安", "", "", "", "", "", ""},
		{"访客", "吴来访", "", "", "十八", "", "", ""},
		{"企业员工", "", "nobody", "", "", "", "", ""},
		{"押运员", "郑押运", "", "鲁运物流", 40, "", "", "C001"}, // C001 is the staff member's
		{},
		{"驾驶员", "冯司机", "", "鲁运物流", 51, "", "", "D002"},
	} {
		require.NoError(t, x.SetSheetRow("人员与定位卡", fmt.Sprintf("A%d", i+2), &row))
	}
	var book bytes.Buffer
	require.NoError(t, x.Write(&book))

	staff := p.co.Clients[policy.EnterpriseStaff]
	r = importPeople(t, p, staff, book.Bytes())
	assert.Equal(t, http.StatusForbidden, r.Status, "only a manager imports")

	r = importPeople(t, p, p.safety, book.Bytes())
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "some rows were refused")
	assert.Contains(t, r.Body, "导入完成：新登记 5 人，绑定定位卡 4 张，已登记未重复 1 人；以下 4 行未导入")
	for _, want := range []string{
		"第 6 行「人员类别」：「保安」应为企业员工、承包商人员、访客、车辆、驾驶员或押运员",
		"第 7 行「年龄」：「十八」应为 14～100 的整数", "row 7, 年龄: &#34;十八&#34; must be a whole number 14-100",
		"第 8 行「员工账号或手机号」：「nobody」不是本企业在职人员的账号或手机号",
		"第 9 行「卡号」：卡号 C001 已绑定给",
	} {
		assert.Contains(t, r.Body, want)
	}
	assert.Equal(t, 1, pgtest.Scalar[int](t, p.app.Pool, `SELECT count(*) FROM pos_people WHERE name = '郑押运'`),
		"the escort is registered; only the tag taken by someone else is refused")
	assert.Equal(t, "P001", pgtest.Scalar[string](t, p.app.Pool, `SELECT t.card_no FROM pos_tags t JOIN pos_people p ON p.id = t.person_id
		WHERE p.user_id = $1 AND t.unbound_at IS NULL`, principal.UserID))
	assert.Equal(t, "vehicle", pgtest.Scalar[string](t, p.app.Pool, `SELECT p.kind FROM pos_tags t JOIN pos_people p ON p.id = t.person_id WHERE t.card_no = 'CAR8'`))
	assert.Equal(t, 48, pgtest.Scalar[int](t, p.app.Pool, `SELECT age FROM pos_people WHERE user_id = $1`, principal.UserID))
	assert.Equal(t, 1, pgtest.Scalar[int](t, p.app.Pool, `SELECT count(*) FROM pos_people WHERE name = '王来访'`))
	people := pgtest.Scalar[int](t, p.app.Pool, `SELECT count(*) FROM pos_people WHERE deleted_at IS NULL`)

	r = importPeople(t, p, p.safety, book.Bytes())
	assert.Contains(t, r.Body, "导入完成：新登记 0 人，绑定定位卡 0 张，已登记未重复 6 人")
	assert.Equal(t, people, pgtest.Scalar[int](t, p.app.Pool, `SELECT count(*) FROM pos_people WHERE deleted_at IS NULL`), "a second import adds no one")

	r = importPeople(t, p, p.safety, []byte("not a workbook"))
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
	assert.Contains(t, r.Body, "不是有效的 Excel（.xlsx）文件")
}
