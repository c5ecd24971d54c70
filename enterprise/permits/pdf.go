package permits

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/pdffont"
	"github.com/shandong-emergency/chemguard/schemas"
)

func hm(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(schemas.Shanghai).Format("2006-01-02 15:04")
}

// doc is a page builder over fpdf with the Chinese font set.
type doc struct {
	*fpdf.Fpdf
	files enterprise.Files
	imgs  int
}

// newDoc starts an A4 page with the Chinese font. A permit's PDF printed by
// the company must be byte for byte the FILE the platform received (the
// regulator compares them), so the document is deterministic: at, the
// permit's last change, is its creation date (fpdf writes the machine's time
// otherwise) and its resources are listed sorted (fpdf iterates a map).
func (s *Service) newDoc(title string, at time.Time) (*doc, error) {
	font, err := pdffont.Load(s.cfg.FontPath, "作业票 PDF", "permit PDF")
	if err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("wqy", "", font)
	pdf.SetTitle(title, true)
	pdf.SetCatalogSort(true) // images and fonts listed in one order, not a map's
	pdf.SetCreationDate(at.In(schemas.Shanghai))
	pdf.SetModificationDate(at.In(schemas.Shanghai))
	pdf.SetAutoPageBreak(true, 15)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("wqy", "", 8)
		pdf.CellFormat(0, 5, fmt.Sprintf("%s　第 %d 页", title, pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	return &doc{Fpdf: pdf, files: s.files}, nil
}

func (d *doc) title(t string) {
	d.SetFont("wqy", "", 16)
	d.CellFormat(0, 10, t, "", 1, "C", false, 0, "")
}

func (d *doc) section(t string) {
	d.Ln(2)
	d.SetFont("wqy", "", 11)
	d.SetFillColor(230, 236, 245)
	d.CellFormat(0, 7, t, "1", 1, "L", true, 0, "")
	d.SetFont("wqy", "", 9.5)
}

// row prints label/value pairs, two to a line.
func (d *doc) row(pairs ...string) {
	d.SetFont("wqy", "", 9.5)
	w := 190.0 / float64(len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		d.CellFormat(26, 7, pairs[i], "1", 0, "L", false, 0, "")
		d.CellFormat(w-26, 7, pairs[i+1], "1", 0, "L", false, 0, "")
	}
	d.Ln(-1)
}

func (d *doc) text(t string) {
	d.SetFont("wqy", "", 9.5)
	d.MultiCell(0, 6, t, "1", "L", false)
}

// signature draws the stored PNG at the current line's right, or nothing.
func (d *doc) signature(ref string, x, y float64) {
	if ref == "" {
		return
	}
	data, err := d.files.Get(ref)
	if err != nil {
		return
	}
	d.imgs++
	name := fmt.Sprintf("sig%d", d.imgs)
	d.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(data))
	d.ImageOptions(name, x, y+0.5, 0, 6, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
}

func (d *doc) out(w io.Writer) error {
	if err := d.Output(w); err != nil {
		return fmt.Errorf("permits: pdf: %w", err)
	}
	return nil
}

// writePermitPDF prints the permit: the GB 30871 form with every field, the
// measures with who confirmed them, the workers with their certificates and
// briefing, the gas analyses, the chain with its signatures, and the history.
func (s *Service) writePermitPDF(p *Permit, w io.Writer) error {
	d, err := s.newDoc(p.Kind.Name+"安全作业票 "+p.Number, p.UpdatedAt)
	if err != nil {
		return err
	}
	d.SetFont("wqy", "", 10)
	d.CellFormat(0, 6, p.CompanyName, "", 1, "C", false, 0, "")
	d.title(p.Kind.Name + "安全作业票")
	d.SetFont("wqy", "", 9)
	d.CellFormat(0, 6, fmt.Sprintf("编号：%s　　状态：%s　　办票方式：%s", p.Number, StatusName(p.Status), map[string]string{"onsite": "现场办票", "routed": "流转办票"}[p.IssueMode]), "", 1, "R", false, 0, "")
	grade := p.Kind.Grade
	if grade == "" {
		grade = "—"
	}
	d.row("作业类型", p.Kind.Name+"（"+p.Kind.Code+"）", "作业级别", grade)
	d.row("作业地点", p.Place, "作业单位", p.Unit)
	contractor := "否"
	if p.Contractor != "" {
		contractor = "是（" + p.Contractor + "）"
	}
	d.row("承包商作业", contractor, "监护人", p.Guardian)
	d.row("作业负责人", p.MajorPerson, "联系方式", p.MajorMobile)
	d.row("计划开始", hm(p.PlannedStart), "计划结束", hm(p.PlannedEnd))
	d.row("签发时间", hm(p.IssuedAt), "有效期至", hm(p.ValidUntil))
	d.row("实际开始", hm(p.StartedAt), "实际结束", hm(p.FinishedAt))
	d.section("作业内容")
	d.text(p.Content)
	d.section("风险辨识")
	d.text(p.Risks)
	d.section("安全措施")
	for i, m := range p.Measures {
		who := "未确认"
		if m.ConfirmedBy != "" {
			who = m.ConfirmedBy + " " + hm(m.ConfirmedAt)
		}
		d.SetFont("wqy", "", 9)
		y := d.GetY()
		d.MultiCell(140, 6, fmt.Sprintf("%d. %s", i+1, m.Text), "1", "L", false)
		h := d.GetY() - y
		d.SetXY(150, y)
		d.CellFormat(50, h, who, "1", 1, "L", false, 0, "")
	}
	d.section("作业人员与资格")
	for _, wk := range p.Workers {
		cert := "—"
		if wk.CertNo != "" {
			cert = wk.CertKind + " " + wk.CertNo + " 有效期至 " + wk.CertValid.Format("2006-01-02")
		}
		brief := "未交底"
		if wk.Briefed {
			brief = "已签字交底"
		}
		d.CellFormat(30, 7, wk.Name, "1", 0, "L", false, 0, "")
		d.CellFormat(30, 7, orDash(wk.Contractor), "1", 0, "L", false, 0, "")
		d.CellFormat(105, 7, cert, "1", 0, "L", false, 0, "")
		d.CellFormat(25, 7, brief, "1", 1, "L", false, 0, "")
	}
	if p.Kind.Gas != nil {
		d.section(fmt.Sprintf("气体分析（%s：取样后 %d 分钟内开始作业，作业中每 %s 复测）", p.Kind.Gas.Clause, int(p.Kind.Gas.BeforeStart.Minutes()), hoursOrOnce(p.Kind.Gas.Every)))
		for _, g := range p.Analyses {
			verdict := "合格"
			if !g.Qualified {
				verdict = "不合格"
			}
			src := "便携检测"
			if g.Source == "detector" {
				src = "固定式检测仪 " + g.Indicator
			}
			y := d.GetY()
			d.CellFormat(32, 7, hm(g.SampledAt), "1", 0, "L", false, 0, "")
			d.CellFormat(40, 7, g.Point, "1", 0, "L", false, 0, "")
			d.CellFormat(40, 7, fmt.Sprintf("%s %g%s", g.Gas, g.Value, g.Unit), "1", 0, "L", false, 0, "")
			d.CellFormat(14, 7, verdict, "1", 0, "L", false, 0, "")
			d.CellFormat(34, 7, src, "1", 0, "L", false, 0, "")
			d.CellFormat(30, 7, g.Analyst, "1", 1, "L", false, 0, "")
			d.signature(g.Signature, 185, y)
		}
	}
	d.section("审批")
	for i, st := range p.Kind.Chain {
		var a *Approval
		for j := range p.Approvals {
			if p.Approvals[j].Step == i+1 {
				a = &p.Approvals[j]
			}
		}
		y := d.GetY()
		d.CellFormat(50, 8, st.Label, "1", 0, "L", false, 0, "")
		if a == nil {
			d.CellFormat(140, 8, "", "1", 1, "L", false, 0, "")
			continue
		}
		verdict := "同意"
		if !a.Approved {
			verdict = "不同意：" + a.Note
		}
		d.CellFormat(140, 8, fmt.Sprintf("%s　%s　%s", verdict, a.User, hm(a.At)), "1", 1, "L", false, 0, "")
		d.signature(a.Signature, 170, y)
	}
	d.section("作业过程记录")
	for _, e := range p.Events {
		y := d.GetY()
		d.CellFormat(32, 7, hm(e.At), "1", 0, "L", false, 0, "")
		d.CellFormat(28, 7, EventName(e.Kind), "1", 0, "L", false, 0, "")
		d.CellFormat(24, 7, e.Actor, "1", 0, "L", false, 0, "")
		d.CellFormat(106, 7, clip(e.Note, 52), "1", 1, "L", false, 0, "")
		if e.Kind == "briefing" || e.Kind == "accepted" {
			d.signature(e.File, 180, y)
		}
	}
	if p.CancelReason != "" {
		d.section("撤销/作废原因")
		d.text(p.CancelReason)
	}
	d.SetFont("wqy", "", 8)
	d.MultiCell(0, 5, "依据："+p.Kind.Clause, "", "L", false)
	return d.out(w)
}

func orDash(s string) string {
	if s == "" {
		return "本企业"
	}
	return s
}

func hoursOrOnce(d time.Duration) string {
	if d == 0 {
		return "中断后"
	}
	return hours(d)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// PermitPDF writes the permit's PDF as it stands.
func (s *Service) PermitPDF(ctx context.Context, m *enterprise.Member, id string, w io.Writer) error {
	p, err := s.Permit(ctx, m, id)
	if err != nil {
		return err
	}
	if p.PDFRef != "" && p.PDFOf.Equal(p.UpdatedAt) {
		// Unchanged since it was published: the print is the FILE the
		// platform received, byte for byte.
		data, err := s.files.Get(p.PDFRef)
		if err != nil {
			return fmt.Errorf("permits: stored pdf: %w", err)
		}
		_, err = w.Write(data)
		return err
	}
	return s.writePermitPDF(p, w)
}

// RiskSheetPDF writes the permit's risk-analysis sheet (风险分析表): the
// risks, the measures with who confirmed them, and the knowledge base's other
// suggestions for the kind.
func (s *Service) RiskSheetPDF(ctx context.Context, m *enterprise.Member, id string, w io.Writer) error {
	p, err := s.Permit(ctx, m, id)
	if err != nil {
		return err
	}
	risks, measures, err := s.Knowledge(ctx, m, p.Kind.Category)
	if err != nil {
		return err
	}
	d, err := s.newDoc("风险分析表 "+p.Number, p.UpdatedAt)
	if err != nil {
		return err
	}
	d.title("作业安全风险分析表")
	d.row("作业票", p.Number, "作业类型", p.Kind.Name)
	d.row("作业地点", p.Place, "作业单位", p.Unit)
	d.section("风险辨识")
	d.text(p.Risks)
	d.section("管控措施及确认")
	for i, ms := range p.Measures {
		d.text(fmt.Sprintf("%d. %s　［%s］", i+1, ms.Text, orText(ms.ConfirmedBy, "未确认")))
	}
	d.section("风险库中同类作业的其他风险与措施（供参考）")
	d.text("风险：" + strings.Join(risks, "；") + "\n措施：" + strings.Join(measures, "；"))
	return d.out(w)
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// ListPDF writes a list (作业清单) of the permits planned in [from, to).
func (s *Service) ListPDF(ctx context.Context, m *enterprise.Member, from, to time.Time, w io.Writer) error {
	rows, err := s.List(ctx, m, Filter{From: from, To: to})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return chemguard.Errorf(chemguard.EInvalid, "所选期间没有作业票", "no permits in the chosen period")
	}
	d, err := s.newDoc("特殊作业清单", s.cfg.Now())
	if err != nil {
		return err
	}
	d.title("特殊作业清单")
	d.SetFont("wqy", "", 9)
	d.CellFormat(0, 6, hm(from)+" 至 "+hm(to), "", 1, "C", false, 0, "")
	for _, h := range []struct {
		t string
		w float64
	}{{"编号", 32}, {"作业类型", 28}, {"地点", 40}, {"作业单位", 36}, {"计划开始", 30}, {"状态", 24}} {
		d.CellFormat(h.w, 7, h.t, "1", 0, "C", false, 0, "")
	}
	d.Ln(-1)
	for _, r := range rows {
		d.CellFormat(32, 7, r.Number, "1", 0, "L", false, 0, "")
		d.CellFormat(28, 7, r.KindName, "1", 0, "L", false, 0, "")
		d.CellFormat(40, 7, clip(r.Place, 18), "1", 0, "L", false, 0, "")
		d.CellFormat(36, 7, clip(r.Unit, 16), "1", 0, "L", false, 0, "")
		d.CellFormat(30, 7, hm(r.PlannedStart), "1", 0, "L", false, 0, "")
		d.CellFormat(24, 7, StatusName(r.Status), "1", 1, "L", false, 0, "")
	}
	return d.out(w)
}
