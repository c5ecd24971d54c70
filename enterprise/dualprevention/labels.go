package dualprevention

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/enterprise/pdffont"
)

// UnitURL is the address a unit's QR label encodes: its phone page.
func UnitURL(base, id string) string {
	return strings.TrimRight(base, "/") + enterprise.PhonePrefix + "/units/" + id
}

// UnitQR is the QR code printed on a unit's label (UnitURL, error correction
// level M), size × size pixels.
func UnitQR(base, id string, size int) (image.Image, error) {
	code, err := qr.Encode(UnitURL(base, id), qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("dualprevention: qr: %w", err)
	}
	if code, err = barcode.Scale(code, size, size); err != nil {
		return nil, fmt.Errorf("dualprevention: qr: %w", err)
	}
	return code, nil
}

// Labels writes a PDF of QR labels (A4, 2 × 4 per page) for the company's
// units ids (all units when ids is empty): each with the unit's name, its
// 风险分析对象 and number, and the QR code of its phone page.
func (s *Service) Labels(ctx context.Context, m *enterprise.Member, base string, ids []string, w io.Writer) error {
	if s.cfg.BaseURL != "" {
		base = s.cfg.BaseURL
	}
	units, err := s.List(ctx, m)
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		want := map[string]bool{}
		for _, id := range ids {
			want[id] = true
		}
		kept := units[:0]
		for _, u := range units {
			if want[u.ID] {
				kept = append(kept, u)
				delete(want, u.ID)
			}
		}
		if len(want) > 0 {
			return notFound("所选风险分析单元", "a selected risk unit")
		}
		units = kept
	}
	if len(units) == 0 {
		return chemguard.Errorf(chemguard.EInvalid, "没有可打印的风险分析单元", "no risk units to print")
	}
	font, err := pdffont.Load(s.cfg.FontPath, "标签 PDF", "label PDF")
	if err != nil {
		return err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("风险分析单元二维码标签", true)
	pdf.AddUTF8FontFromBytes("wqy", "", font)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("dualprevention: label font: %w", err)
	}
	pdf.SetAutoPageBreak(false, 0)
	const cols, rows, w0, h0, mx, my = 2, 4, 95.0, 68.0, 10.0, 12.5
	for i, u := range units {
		if i%(cols*rows) == 0 {
			pdf.AddPage()
		}
		k := i % (cols * rows)
		x, y := mx+float64(k%cols)*w0, my+float64(k/cols)*h0
		pdf.SetDrawColor(150, 150, 150)
		pdf.SetDashPattern([]float64{1, 1}, 0)
		pdf.Rect(x, y, w0, h0, "D")
		code, err := UnitQR(base, u.ID, 400)
		if err != nil {
			return err
		}
		var img bytes.Buffer
		if err := png.Encode(&img, code); err != nil {
			return fmt.Errorf("dualprevention: qr: %w", err)
		}
		name := "qr-" + u.ID
		pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, &img)
		pdf.ImageOptions(name, x+4, y+6, 52, 52, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
		pdf.SetFont("wqy", "", 13)
		pdf.SetXY(x+58, y+8)
		pdf.MultiCell(w0-61, 6.5, u.Name, "", "L", false)
		pdf.SetFont("wqy", "", 9.5)
		pdf.SetX(x + 58)
		pdf.MultiCell(w0-61, 5, u.ObjectKind+"："+u.HazardCode, "", "L", false)
		if u.HazardName != "" {
			pdf.SetX(x + 58)
			pdf.MultiCell(w0-61, 5, u.HazardName, "", "L", false)
		}
		pdf.SetX(x + 58)
		pdf.MultiCell(w0-61, 5, "责任部门："+u.DepartmentName, "", "L", false)
		pdf.SetX(x + 58)
		pdf.MultiCell(w0-61, 5, "责任人："+u.LiableName, "", "L", false)
		pdf.SetFont("wqy", "", 11)
		pdf.SetXY(x+4, y+59)
		pdf.CellFormat(w0-8, 6, fmt.Sprintf("扫码排查 · 编号 %d", u.No), "", 0, "C", false, 0, "")
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("dualprevention: label pdf: %w", err)
	}
	return nil
}
