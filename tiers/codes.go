package tiers

import (
	"regexp"

	"github.com/shandong-emergency/chemguard"
)

// The seed prints 企业编码 COMPANY_CODE as 字符 of at most 36 characters; its
// examples (9 位企业编码 inside a GB28181 channel code) are digits and letters.
// Chemical park codes have no format in the seed and follow the same rule. Any
// other character — "/" above all, which separates the parts of a resource
// path — could make one code read as another's region, so it is refused at
// every door (API, portal, command line) before a code is stored or granted.
var (
	companyCodePattern = regexp.MustCompile(`^[0-9A-Za-z]{1,36}$`)
	parkCodePattern    = regexp.MustCompile(`^[0-9A-Za-z]{1,36}$`)
)

// ValidCompanyCode reports whether code is a well-formed company code.
func ValidCompanyCode(code string) bool { return companyCodePattern.MatchString(code) }

// ValidParkCode reports whether code is a well-formed chemical park code.
func ValidParkCode(code string) bool { return parkCodePattern.MatchString(code) }

// CheckCompanyCode returns an invalid *chemguard.Error unless code is a
// well-formed company code.
func CheckCompanyCode(code string) error {
	if ValidCompanyCode(code) {
		return nil
	}
	return chemguard.Errorf(chemguard.EInvalid, "企业编码「%s」无效：须为 1～36 位数字或英文字母（不含 / 等符号）",
		"company code %q: 1-36 digits or ASCII letters (no / or other symbols)", code)
}

// CheckParkCode returns an invalid *chemguard.Error unless code is a
// well-formed chemical park code.
func CheckParkCode(code string) error {
	if ValidParkCode(code) {
		return nil
	}
	return chemguard.Errorf(chemguard.EInvalid, "园区编码「%s」无效：须为 1～36 位数字或英文字母（不含 / 等符号）",
		"park code %q: 1-36 digits or ASCII letters (no / or other symbols)", code)
}

// CheckDomainCode returns CheckParkCode's or CheckCompanyCode's error for a
// park or enterprise domain whose code is malformed, and nil otherwise (a
// division domain is checked where a role is granted, by CheckGrant).
func CheckDomainCode(domain string) error {
	switch {
	case len(domain) >= len(ParkPrefix) && domain[:len(ParkPrefix)] == ParkPrefix:
		return CheckParkCode(domain[len(ParkPrefix):])
	case len(domain) >= len(EnterprisePrefix) && domain[:len(EnterprisePrefix)] == EnterprisePrefix:
		return CheckCompanyCode(domain[len(EnterprisePrefix):])
	}
	return nil
}
