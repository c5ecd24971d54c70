package governance_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/governance"
)

// A city's daily report holds only its own companies and counties, ranks them, and
// names the worst companies with the facts that cost them most.
func TestDailyReportOfACity(t *testing.T) {
	cfg := governance.DefaultConfig()
	facts := []governance.Fact{
		{ID: "a", Company: "C1", Kind: governance.CommitmentLate, Subject: "2021-06-01", Started: at(t, "10:00:00"), Ended: at(t, "10:30:00")},
		{ID: "b", Company: "C1", Kind: governance.HazardNoIndicator, Subject: "H1", Started: at(t, "08:00:00")},
		{ID: "c", Company: "C3", Kind: governance.OfflineReadings, Started: at(t, "08:00:00"), Ended: at(t, "12:00:00")},
		{ID: "d", Company: "C4", Kind: governance.CommitmentMissing, Subject: "2021-06-01", Started: at(t, "10:00:00")},
	}
	previous := scores("2021-05-31", map[string]float64{"C1": 100, "C2": 100, "C3": 95, "C4": 100})
	r := governance.DailyReport(&cfg, "370100", at(t, "12:00:00"), atDay(t, "2021-06-02", "00:00:00"), facts, members, previous, 2)

	assert.Equal(t, governance.LevelCity, r.Level)
	assert.Equal(t, "2021-06-01", r.Day)
	assert.Equal(t, 4, r.Score.Companies, "C1 C2 C5 C3: not 青岛's C4")
	var companies []string
	for _, c := range r.Companies {
		companies = append(companies, c.Company)
	}
	assert.Equal(t, []string{"C2", "C5", "C1", "C3"}, companies)
	require.Len(t, r.Children, 2)
	assert.Equal(t, "370102", r.Children[0].Region)
	assert.Equal(t, "370103", r.Children[1].Region)

	require.Len(t, r.Offenders, 2)
	assert.Equal(t, "C3", r.Offenders[0].Company, "offline 4 h: 9 points")
	assert.Equal(t, "C1", r.Offenders[1].Company)
	assert.Equal(t, governance.CommitmentLate, r.Offenders[1].Facts[0].Kind, "biggest deduction first: 5.5 > 3")
	assert.Equal(t, 5.5, r.Offenders[1].Points[0].Points)

	require.Len(t, r.Fallers, 2)
	assert.Equal(t, "C1", r.Fallers[0].Key)
	assert.Equal(t, -8.5, r.Fallers[0].Change)
	assert.Equal(t, map[governance.Kind]int{governance.CommitmentLate: 1, governance.HazardNoIndicator: 1,
		governance.OfflineReadings: 1}, r.FactsByKind)

	park := governance.DailyReport(&cfg, "P1", at(t, "12:00:00"), atDay(t, "2021-06-02", "00:00:00"), facts, members, nil, 5)
	assert.Equal(t, governance.LevelPark, park.Level)
	require.Len(t, park.Companies, 1)
	assert.Empty(t, park.Offenders, "C5 has no facts")
}
