package governancesvc_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/governancesvc"
)

// Only a county-level regulator of the company's own county records its 验收.
func TestAcceptanceAllowed(t *testing.T) {
	for _, tc := range []struct {
		name string
		by   governancesvc.Acceptor
		ok   bool
	}{
		{"its county's regulator", governancesvc.Acceptor{Domain: "370102", CountyRegulator: true}, true},
		{"another county", governancesvc.Acceptor{Domain: "370103", CountyRegulator: true}, false},
		{"the city", governancesvc.Acceptor{Domain: "370100", CountyRegulator: true}, false},
		{"the province", governancesvc.Acceptor{Domain: "370000", CountyRegulator: true}, false},
		{"a park", governancesvc.Acceptor{Domain: "park:P1", CountyRegulator: true}, false},
		{"not a regulator role (inspector)", governancesvc.Acceptor{Domain: "370102"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := governancesvc.AcceptanceAllowed(tc.by, "370102")
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			assert.Equal(t, chemguard.EForbidden, chemguard.ErrorCode(err))
		})
	}
}
