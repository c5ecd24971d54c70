package positioning

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/enterprise"
)

// peopleSheet is the import workbook's sheet; peopleColumns its header, in
// order (the template writes them, the import reads by position).
const peopleSheet = "人员与定位卡"

var peopleColumns = []string{"人员类别", "姓名/车牌号", "员工账号或手机号", "单位名称", "年龄", "工种", "培训情况", "卡号"}

// PeopleTemplate writes the import template: the header, one example row per
// kind and a sheet explaining each column.
func PeopleTemplate(w io.Writer) error {
	x, err := enterprise.NewBook(peopleSheet)
	if err != nil {
		return fmt.Errorf("positioning: template: %w", err)
	}
	defer x.Close()
	rows := [][]any{
		toAny(peopleColumns),
		{"企业员工", "", "zhangsan 或 13800138000", "", 35, "操作工", "三级安全教育", "C1001"},
		{"承包商人员", "李焊工", "", "鲁安建设", 42, "焊工", "特种作业证", "C2001"},
		{"访客", "王来访", "", "济南安评中心", 45, "", "入厂安全教育", "V0001"},
		{"车辆", "鲁A12345", "", "鲁运物流", "", "危化品罐车", "", "CAR001"},
		{"驾驶员", "赵司机", "", "鲁运物流", 50, "驾驶员", "危货驾驶资格", "D0001"},
		{"押运员", "钱押运", "", "鲁运物流", 38, "押运员", "押运资格", "E0001"},
	}
	if err := enterprise.WriteRows(x, peopleSheet, 1, rows); err != nil {
		return fmt.Errorf("positioning: template: %w", err)
	}
	notes := [][]any{
		{"人员类别", "企业员工、承包商人员、访客、车辆、驾驶员或押运员（必填）"},
		{"姓名/车牌号", "访客、车辆、驾驶员、押运员必填；承包商人员填特殊作业模块中登记的姓名；企业员工可不填"},
		{"员工账号或手机号", "企业员工必填：本企业在职人员的登录账号或手机号"},
		{"单位名称", "不超过 50 个字符"},
		{"年龄", "14～100 的整数，可不填"},
		{"工种", "不超过 50 个字符"},
		{"培训情况", "不超过 200 个字符"},
		{"卡号", "定位卡号，不超过 36 个字符，可不填（之后在页面绑定）；已绑定给他人的卡须先解绑"},
		{"导入规则", "逐行保存：有问题的行列出行号、列名和原因，其余行照常导入；已登记的人员不重复登记，只补绑卡号。修改后可再次导入同一文件。"},
	}
	if err := enterprise.WriteHelp(x, notes); err != nil {
		return fmt.Errorf("positioning: template: %w", err)
	}
	return x.Write(w)
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// ImportError is one refused row of a people import: which row, which column,
// and why.
type ImportError = enterprise.RowError

// ImportReport is what a people import did.
type ImportReport struct {
	Added  int // people registered
	Bound  int // tags bound (new people's and already registered people's)
	Known  int // rows of people already registered (not registered twice)
	Errors []ImportError
}

// ImportPeople reads the template's workbook and registers each good row —
// the person and the tag — on its own: a bad row is reported with its row,
// column and rule and left out, the rows beside it are kept, as the other
// modules' imports do (a list of hundreds of people must not wait for one
// typo). A person already registered (the same employee or contractor's
// person, or the same kind, name and unit) is not registered twice; a tag on
// the row is bound to them. Importing the corrected file again is safe.
func (s *Service) ImportPeople(ctx context.Context, m *enterprise.Member, r io.Reader) (ImportReport, error) {
	var rep ImportReport
	sheets, err := enterprise.OpenImport(m, r, peopleSheet)
	if err != nil {
		return rep, err
	}
	rows := sheets[peopleSheet]
	members, err := s.dir.People(ctx, m.Company)
	if err != nil {
		return rep, fmt.Errorf("positioning: people: %w", err)
	}
	workers, err := s.Workers(ctx, m.Company)
	if err != nil {
		return rep, err
	}
	kinds := map[string]string{}
	for _, k := range PersonKinds {
		kinds[PersonKindName(k)] = k
	}
	for i, row := range rows {
		n := i + 1
		if i == 0 || row.Blank() {
			continue
		}
		cell := row.Cell
		fail := func(col int, zh, en string) {
			rep.Errors = append(rep.Errors, ImportError{Row: n, Column: peopleColumns[col],
				MessageZH: fmt.Sprintf("第 %d 行「%s」：%s", n, peopleColumns[col], zh), MessageEN: fmt.Sprintf("row %d, %s: %s", n, peopleColumns[col], en)})
		}
		kind, ok := kinds[cell(0)]
		if !ok {
			fail(0, fmt.Sprintf("「%s」应为企业员工、承包商人员、访客、车辆、驾驶员或押运员", cell(0)), fmt.Sprintf("%q must be one of the six kinds", cell(0)))
			continue
		}
		p := Carrier{Kind: kind, Name: cell(1), Unit: cell(3), Trade: cell(5), Training: cell(6)}
		if v := cell(4); v != "" {
			age, err := strconv.Atoi(v)
			if err != nil || age < 14 || age > 100 {
				fail(4, fmt.Sprintf("「%s」应为 14～100 的整数", v), fmt.Sprintf("%q must be a whole number 14-100", v))
				continue
			}
			p.Age = age
		}
		switch kind {
		case PersonEmployee:
			who := cell(2)
			if who == "" {
				fail(2, "企业员工须填写本企业人员的登录账号或手机号", "an employee needs the member's username or mobile")
				continue
			}
			for _, d := range members {
				if d.Username == who || d.Mobile != "" && d.Mobile == who {
					p.UserID = d.UserID
				}
			}
			if p.UserID == 0 {
				fail(2, fmt.Sprintf("「%s」不是本企业在职人员的账号或手机号", who), fmt.Sprintf("%q is no active member's username or mobile", who))
				continue
			}
		case PersonContractor:
			var found []Worker
			for _, w := range workers {
				if w.Name == p.Name && (p.Unit == "" || w.Unit == p.Unit) {
					found = append(found, w)
				}
			}
			switch len(found) {
			case 0:
				fail(1, fmt.Sprintf("「%s」未在特殊作业的承包商人员中登记", p.Name), fmt.Sprintf("%q is not one of the permit module's contractors' people", p.Name))
				continue
			case 1:
				p.WorkerID = found[0].ID
			default:
				fail(3, fmt.Sprintf("承包商人员「%s」有重名，请填写单位名称区分", p.Name), fmt.Sprintf("more than one contractor's person is called %q: give the unit", p.Name))
				continue
			}
		}
		card := cell(7)
		id, known, err := s.existing(ctx, m.Company, p)
		if err != nil {
			return rep, err
		}
		if known {
			rep.Known++
		} else if id, err = s.AddPerson(ctx, m, p); err != nil {
			if !rowError(err, func(zh, en string) { fail(1, zh, en) }) {
				return rep, err
			}
			continue
		} else {
			rep.Added++
		}
		if card == "" {
			continue
		}
		var current string
		_ = s.pool.QueryRow(ctx, `SELECT card_no FROM pos_tags WHERE company = $1 AND person_id = $2 AND unbound_at IS NULL`, m.Company, id).Scan(&current)
		if current == card {
			continue
		}
		if err := s.Bind(ctx, m, id, card); err != nil {
			if !rowError(err, func(zh, en string) { fail(7, zh, en) }) {
				return rep, err
			}
			continue
		}
		rep.Bound++
	}
	return rep, nil
}

// rowError hands a chemguard.Error (the row's fault) to fail and reports
// whether it was one; any other error is the platform's.
func rowError(err error, fail func(zh, en string)) bool {
	zh, en, ok := enterprise.RowFault(err)
	if ok {
		fail(zh, en)
	}
	return ok
}

// existing finds a person already registered as p: the same member or
// worker, or the same kind, name and unit.
func (s *Service) existing(ctx context.Context, company string, p Carrier) (int64, bool, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM pos_people WHERE company = $1 AND deleted_at IS NULL AND kind = $2 AND
		CASE WHEN $3::bigint <> 0 THEN user_id = $3 WHEN $4::bigint <> 0 THEN worker_id = $4 ELSE name = $5 AND unit = $6 END
		ORDER BY id LIMIT 1`, company, p.Kind, p.UserID, p.WorkerID, strings.TrimSpace(p.Name), strings.TrimSpace(p.Unit)).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return 0, false, fmt.Errorf("positioning: find person: %w", err)
}
