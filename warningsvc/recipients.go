package warningsvc

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tiers"
	"github.com/shandong-emergency/chemguard/warning"
)

// tierRoles are the regulator roles told of a warning watched by a tier.
var tierRoles = map[string][]policy.Role{
	string(warning.TierCounty):   {policy.CountyLeader, policy.CountyStaff, policy.ParkLeader, policy.ParkStaff},
	string(warning.TierCity):     {policy.CityLeader, policy.CityStaff},
	string(warning.TierProvince): {policy.ProvinceLeader, policy.ProvinceStaff},
}

// tierDomains are the domains whose regulators watch a company's warnings at tier:
// the county (and the company's park) for county, the county's city for city, the
// province for province.
func tierDomains(tier, division, park string) []string {
	switch tier {
	case string(warning.TierCounty):
		out := []string{division}
		if park != "" {
			out = append(out, tiers.ParkDomain(park))
		}
		return out
	case string(warning.TierCity):
		if d, ok := tiers.DivisionByCode(division); ok && d.Level == tiers.City {
			return []string{d.Code} // a company registered directly under a city
		}
		for _, d := range tiers.Ancestors(division) {
			if d.Level == tiers.City {
				return []string{d.Code}
			}
		}
		return nil
	case string(warning.TierProvince):
		return []string{tiers.ProvinceCode}
	}
	return nil
}

// Recipients returns who is told of n by SMS, each mobile once: the company's
// 主要负责人 and 安全负责人 from its current 企业信息 record, and the enabled
// regulator accounts with a mobile that hold a role of the tier now watching the
// warning in the company's region (县级 and the company's park, 市级, 省级). A
// reminder goes to the company's people only.
func (s *Service) Recipients(ctx context.Context, n Notice) ([]Recipient, error) {
	var out []Recipient
	seen := map[string]bool{}
	add := func(r Recipient, column string) {
		// Numbers are stored sealed; SMS sending is the one place that opens them.
		mobile, err := s.cfg.Personal.Open(column, r.Mobile)
		if err != nil {
			slog.Warn("alerting: a recipient's mobile does not open", "column", column, "err", err)
			return
		}
		r.Mobile = strings.TrimSpace(mobile)
		if r.Mobile != "" && !seen[r.Mobile] {
			seen[r.Mobile] = true
			out = append(out, r)
		}
	}
	var p, pm, sp, spm string
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(doc->>'PRINCIPAL', ''), COALESCE(doc->>'PRINCIPAL_MOBILE', ''),
		COALESCE(doc->>'SAFETY_PRINCIPAL', ''), COALESCE(doc->>'SAFETY_PRINCIPAL_MOBILE', '')
		FROM x_enterprise_info WHERE company_code = $1 AND NOT deleted ORDER BY updated_at DESC LIMIT 1`,
		n.Company).Scan(&p, &pm, &sp, &spm)
	if err != nil && err != pgx.ErrNoRows {
		return nil, fmt.Errorf("alerting: recipients of %s: %w", n.Company, err)
	}
	add(Recipient{Name: p, Mobile: pm, Role: "企业主要负责人"}, schemas.EnterpriseInfos.SQLName()+".PRINCIPAL_MOBILE")
	add(Recipient{Name: sp, Mobile: spm, Role: "企业安全负责人"}, schemas.EnterpriseInfos.SQLName()+".SAFETY_PRINCIPAL_MOBILE")

	if n.Kind == KindReminder {
		return out, nil // a 签收 reminder is for the company; its regulators were told at 发布
	}
	domains := tierDomains(n.Tier, n.Division, n.Park)
	roles := tierRoles[n.Tier]
	if len(domains) == 0 || len(roles) == 0 {
		return out, nil
	}
	holders, err := policy.NewPGPolicy(s.pool).Holders(ctx, roles, domains)
	if err != nil {
		return nil, fmt.Errorf("alerting: recipients of %s: %w", n.Company, err)
	}
	for _, h := range holders {
		label := h.Role
		if r, ok := policy.ParseRole(h.Role); ok {
			label = r.Label()
		}
		add(Recipient{Name: h.Name, Mobile: h.Mobile, Role: label}, store.UsersMobileColumn)
	}
	return out, nil
}
