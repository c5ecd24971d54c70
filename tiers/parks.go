package tiers

import (
	"strings"

	"github.com/shandong-emergency/chemguard"
)

// Park is a chemical park (化工园区): a unit under a county or a city that
// enterprises may belong to, and the domain of the park regulator roles.
type Park struct {
	Code         string
	Name         string
	DivisionCode string // GB/T 2260 county or city the park is under
}

// CheckPark returns an invalid *chemguard.Error unless p has a well-formed
// code (CheckParkCode), a name and a Shandong city or county as its division.
func CheckPark(p Park) error {
	if err := CheckParkCode(p.Code); err != nil {
		return err
	}
	if strings.TrimSpace(p.Name) == "" {
		return chemguard.Errorf(chemguard.EInvalid, "园区名称为必填项", "park %s: a name is required", p.Code)
	}
	d, ok := DivisionByCode(p.DivisionCode)
	if !ok || d.Level == Province {
		return chemguard.Errorf(chemguard.EInvalid, "园区所在行政区划须为山东省的市或区县（GB/T 2260）",
			"park %s: %q is not a Shandong city or county", p.Code, p.DivisionCode)
	}
	return nil
}
