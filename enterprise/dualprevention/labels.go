package dualprevention

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image/png"
	"io"
	"os"
	"strings"
	"sync"

	"codeberg.org/go-pdf/fpdf"
	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/enterprise"
)

// UnitURL is the address a unit's QR label encodes: its phone page.
func UnitURL(base, id string) string {
	return strings.TrimRight(base, "/") + enterprise.PhonePrefix + "/units/" + id
}

// fonts holds the label fonts loaded, by path: the first font of the
// system's TrueType collection, rewritten as a stand-alone TrueType file (the
// PDF library reads TTF; Debian ships WenQuanYi Micro Hei as a TTC).
var (
	fontMu sync.Mutex
	fonts  = map[string][]byte{}
)

func labelFont(path string) ([]byte, error) {
	fontMu.Lock()
	defer fontMu.Unlock()
	if b, ok := fonts[path]; ok {
		return b, nil
	}
	raw, err := os.ReadFile(path)
	if err == nil {
		raw, err = firstFontOf(raw)
	}
	if err != nil {
		return nil, &chemguard.Error{Code: chemguard.EUnavailable,
			MessageZH: "服务器缺少中文字体（" + path + "，Debian 软件包 fonts-wqy-microhei），无法生成标签 PDF",
			MessageEN: "the server lacks the Chinese font " + path + " (Debian package fonts-wqy-microhei); cannot make the label PDF",
			Err:       err}
	}
	fonts[path] = raw
	return raw, nil
}

// firstFontOf returns a TrueType file: raw itself, or the first font of a
// TrueType collection with its tables copied after a new table directory.
func firstFontOf(raw []byte) ([]byte, error) {
	if len(raw) < 12 {
		return nil, fmt.Errorf("font too short")
	}
	if string(raw[:4]) != "ttcf" {
		return raw, nil
	}
	be := binary.BigEndian
	if be.Uint32(raw[8:12]) == 0 || len(raw) < 16 {
		return nil, fmt.Errorf("empty font collection")
	}
	off := int(be.Uint32(raw[12:16]))
	if off+12 > len(raw) {
		return nil, fmt.Errorf("font collection offset out of range")
	}
	n := int(be.Uint16(raw[off+4 : off+6]))
	if off+12+16*n > len(raw) {
		return nil, fmt.Errorf("font table directory out of range")
	}
	head := 12 + 16*n
	var out bytes.Buffer
	out.Write(raw[off : off+12])
	dir := make([]byte, 16*n)
	var body bytes.Buffer
	for i := 0; i < n; i++ {
		rec := raw[off+12+16*i : off+12+16*(i+1)]
		tOff, tLen := int(be.Uint32(rec[8:12])), int(be.Uint32(rec[12:16]))
		if tOff+tLen > len(raw) {
			return nil, fmt.Errorf("font table %q out of range", rec[:4])
		}
		copy(dir[16*i:], rec[:8])
		be.PutUint32(dir[16*i+8:], uint32(head+body.Len()))
		be.PutUint32(dir[16*i+12:], uint32(tLen))
		body.Write(raw[tOff : tOff+tLen])
		for body.Len()%4 != 0 {
			body.WriteByte(0)
		}
	}
	out.Write(dir)
	out.Write(body.Bytes())
	return out.Bytes(), nil
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
	font, err := labelFont(s.cfg.FontPath)
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
		code, err := qr.Encode(UnitURL(base, u.ID), qr.M, qr.Auto)
		if err != nil {
			return fmt.Errorf("dualprevention: qr: %w", err)
		}
		code, err = barcode.Scale(code, 400, 400)
		if err != nil {
			return fmt.Errorf("dualprevention: qr: %w", err)
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
