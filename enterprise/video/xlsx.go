package video

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/enterprise"
	"github.com/shandong-emergency/chemguard/schemas"
)

// The registry workbook's sheets and columns (export writes them, import reads them).
const (
	sheetDevices = "分析设备"
	sheetCameras = "摄像头"
)

var (
	deviceColumns = []any{"设备编码", "设备名称", "设备描述", "厂商", "自动销警（分钟，0=设备发送销警）"}
	cameraColumns = []any{"视频通道编码（GB28181）", "摄像头名称", "安装位置", "监控区域", "重点区域类型", "分析设备编码"}
)

// ExportRegistry writes the company's devices and cameras as .xlsx, in the
// layout ImportRegistry reads (so a company can edit it and load it back).
func (s *Service) ExportRegistry(ctx context.Context, m *enterprise.Member, w io.Writer) error {
	devices, err := s.Devices(ctx, m)
	if err != nil {
		return err
	}
	cameras, err := s.Cameras(ctx, m)
	if err != nil {
		return err
	}
	codes := map[string]string{}
	x, err := enterprise.NewBook(sheetDevices)
	if err != nil {
		return fmt.Errorf("video: excel: %w", err)
	}
	defer x.Close()
	_ = x.SetSheetRow(sheetDevices, "A1", &deviceColumns)
	for i, d := range devices {
		codes[d.ID] = d.Code
		_ = x.SetSheetRow(sheetDevices, fmt.Sprintf("A%d", i+2), &[]any{d.Code, d.Name, d.Description, d.Vendor, d.AutoClearMinutes})
	}
	if _, err := x.NewSheet(sheetCameras); err != nil {
		return fmt.Errorf("video: excel: %w", err)
	}
	_ = x.SetSheetRow(sheetCameras, "A1", &cameraColumns)
	for i, c := range cameras {
		kind, _ := schemas.CodesKeyAreaKind.Lookup(c.KeyAreaKind)
		_ = x.SetSheetRow(sheetCameras, fmt.Sprintf("A%d", i+2), &[]any{c.Code, c.Name, c.Place, c.Area, c.KeyAreaKind + " " + kind.NameZH, codes[c.DeviceID]})
	}
	if err := x.Write(w); err != nil {
		return fmt.Errorf("video: excel: %w", err)
	}
	return nil
}

// RowError is one refused row of an import: its sheet, row and rule.
type RowError = enterprise.RowError

// ImportResult is what an import did.
type ImportResult struct {
	Devices, Cameras int // rows saved
	Errors           []RowError
}

// ImportRegistry reads a workbook in ExportRegistry's layout: devices first
// (so cameras can name them by code), each row saved on its own — a bad row is
// reported with its sheet, row and rule, and the good rows beside it are kept.
func (s *Service) ImportRegistry(ctx context.Context, m *enterprise.Member, r io.Reader) (ImportResult, error) {
	var res ImportResult
	sheets, err := enterprise.OpenImport(m, r, sheetDevices, sheetCameras)
	if err != nil {
		return res, err
	}
	devRows, camRows := sheets[sheetDevices], sheets[sheetCameras]
	fail := func(sheet string, row int, err error) {
		if zh, en, ok := enterprise.RowFault(err); ok {
			res.Errors = append(res.Errors, RowError{Sheet: sheet, Row: row, MessageZH: zh, MessageEN: en})
			return
		}
		res.Errors = append(res.Errors, RowError{Sheet: sheet, Row: row, MessageZH: "保存失败", MessageEN: err.Error()})
	}
	for i, row := range devRows {
		if i == 0 || row.Blank() {
			continue
		}
		d := Device{Code: row.Cell(0), Name: row.Cell(1), Description: row.Cell(2), Vendor: row.Cell(3)}
		if v := row.Cell(4); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				fail(sheetDevices, i+1, invalid("自动销警", fmt.Sprintf("「%s」应为整数分钟", v), fmt.Sprintf("auto-clear %q: whole minutes", v)))
				continue
			}
			d.AutoClearMinutes = n
		}
		if err := d.check(); err != nil {
			fail(sheetDevices, i+1, err)
			continue
		}
		if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.saveDevice(ctx, tx, m.Company, &d) }); err != nil {
			fail(sheetDevices, i+1, err)
			continue
		}
		res.Devices++
	}
	for i, row := range camRows {
		if i == 0 || row.Blank() {
			continue
		}
		kind, _, _ := strings.Cut(row.Cell(4), " ")
		c := Camera{Code: row.Cell(0), Name: row.Cell(1), Place: row.Cell(2), Area: row.Cell(3), KeyAreaKind: kind}
		if code := row.Cell(5); code != "" {
			err := s.pool.QueryRow(ctx, `SELECT id::text FROM video_devices WHERE company = $1 AND code = $2 AND deleted_at IS NULL`, m.Company, code).Scan(&c.DeviceID)
			if err != nil {
				fail(sheetCameras, i+1, invalid("分析设备编码", fmt.Sprintf("「%s」未登记", code), fmt.Sprintf("device %q is not registered", code)))
				continue
			}
		}
		if err := c.check(m.Company); err != nil {
			fail(sheetCameras, i+1, err)
			continue
		}
		if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.saveCamera(ctx, tx, m.Company, c) }); err != nil {
			fail(sheetCameras, i+1, err)
			continue
		}
		res.Cameras++
	}
	return res, nil
}
