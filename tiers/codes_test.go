package tiers_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/tiers"
)

// Park and company codes follow the seed's COMPANY_CODE (字符 36): 1–36 digits
// or letters; the errors are bilingual.
func TestCodes(t *testing.T) {
	for _, good := range []string{"370102001", "HG370500001", "P1", "C1", "A123456789012345678901234567890123456"[:36]} {
		assert.NoError(t, tiers.CheckParkCode(good), good)
		assert.NoError(t, tiers.CheckCompanyCode(good), good)
	}
	for _, bad := range []string{"", "HD/370102", "a b", "P1%", "../P1", "园区1", "P1\\x", "park:P1",
		"A1234567890123456789012345678901234567"} {
		err := tiers.CheckParkCode(bad)
		require.Error(t, err, bad)
		var ae *chemguard.Error
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, chemguard.EInvalid, ae.Code)
		assert.Contains(t, ae.MessageZH, "园区编码")
		assert.Contains(t, ae.MessageEN, "park code")
		require.Error(t, tiers.CheckCompanyCode(bad), bad)
	}
	assert.Error(t, tiers.CheckPark(tiers.Park{Code: "HD/370102", Name: "黄岛园区", DivisionCode: "370211"}))
	assert.NoError(t, tiers.CheckPark(tiers.Park{Code: "HD370211", Name: "黄岛园区", DivisionCode: "370211"}))
	assert.Error(t, tiers.CheckDomainCode("park:HD/370102"))
	assert.NoError(t, tiers.CheckDomainCode("370102"))
}
