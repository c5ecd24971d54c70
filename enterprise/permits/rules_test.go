package permits_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/auth/policy"
	"github.com/shandong-emergency/chemguard/enterprise/permits"
	"github.com/shandong-emergency/chemguard/schemas"
)

// Every TASK_TYPE of the seed's 表2 has a template with a name, a validity,
// an approval chain and measures — and no template exists for a code the seed
// does not print.
func TestEveryTaskTypeHasTemplate(t *testing.T) {
	r := permits.DefaultRules()
	for _, code := range schemas.CodesTaskType.Values() {
		t.Run(code, func(t *testing.T) {
			k, err := r.Kind(code)
			require.NoError(t, err)
			c, _ := schemas.CodesTaskType.Lookup(code)
			require.Equal(t, c.NameZH, k.Name)
			require.Equal(t, c.Parent, k.Category)
			require.Positive(t, k.Validity)
			require.NotEmpty(t, k.Chain)
			require.NotEmpty(t, k.Measures)
			require.NotEmpty(t, k.Clause)
		})
	}
	require.Len(t, r.Kinds, len(schemas.CodesTaskType.Values()))
	_, err := r.Kind("14")
	require.Equal(t, chemguard.EInvalid, chemguard.ErrorCode(err))
}

// The chain grows with the grade (GB 30871-2022 5.5) and the validity of hot
// work is 8 h for 特级/一级 and 72 h for 二级 (5.1.5).
func TestChainAndValidityByGrade(t *testing.T) {
	r := permits.DefaultRules()
	roles := func(code string) []policy.Role {
		var out []policy.Role
		for _, s := range r.Kinds[code].Chain {
			out = append(out, s.Role)
		}
		return out
	}
	require.Equal(t, []policy.Role{policy.EnterpriseDeptHead}, roles("11"))
	require.Equal(t, []policy.Role{policy.EnterpriseDeptHead, policy.EnterpriseSafety}, roles("12"))
	require.Equal(t, []policy.Role{policy.EnterpriseDeptHead, policy.EnterpriseSafety, policy.EnterprisePrincipal}, roles("13"))
	require.Equal(t, 72*time.Hour, r.Kinds["11"].Validity)
	require.Equal(t, 8*time.Hour, r.Kinds["12"].Validity)
	require.Equal(t, 8*time.Hour, r.Kinds["13"].Validity)
	require.NotNil(t, r.Kinds["21"].Gas)
	require.Nil(t, r.Kinds["42"].Gas)

	step := r.Kinds["13"].Chain[1] // 安全管理部门审核
	require.False(t, permits.MaySign(step, []policy.Role{policy.EnterpriseDeptHead, policy.EnterpriseStaff}))
	require.True(t, permits.MaySign(step, []policy.Role{policy.EnterpriseSafety}))
	require.True(t, permits.MaySign(step, []policy.Role{policy.EnterprisePrincipal}))
	require.False(t, permits.MaySign(r.Kinds["13"].Chain[2], []policy.Role{policy.EnterpriseSafety}))
}

func TestGasLimits(t *testing.T) {
	k := permits.DefaultRules().Kinds["12"]
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, schemas.Shanghai)
	ok := []permits.Analysis{{SampledAt: t0, Qualified: true}}
	cases := []struct {
		name     string
		analyses []permits.Analysis
		started  time.Time
		now      time.Time
		refused  bool
	}{
		{"no analysis", nil, time.Time{}, t0, true},
		{"unqualified", []permits.Analysis{{SampledAt: t0, Qualified: false}}, time.Time{}, t0.Add(time.Minute), true},
		{"start within 30 min", ok, time.Time{}, t0.Add(30 * time.Minute), false},
		{"start after 30 min", ok, time.Time{}, t0.Add(31 * time.Minute), true},
		{"working within 2 h", ok, t0.Add(10 * time.Minute), t0.Add(2 * time.Hour), false},
		{"working after 2 h", ok, t0.Add(10 * time.Minute), t0.Add(2*time.Hour + time.Minute), true},
		{"newest unqualified", append(ok, permits.Analysis{SampledAt: t0.Add(time.Hour)}), t0.Add(10 * time.Minute), t0.Add(61 * time.Minute), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := permits.CheckGas(k, c.analyses, c.started, c.now)
			if !c.refused {
				require.NoError(t, err)
				return
			}
			require.Equal(t, chemguard.EConflict, chemguard.ErrorCode(err))
			var e *chemguard.Error
			require.ErrorAs(t, err, &e)
			require.Contains(t, e.MessageZH, "GB 30871-2022")
			require.NotEmpty(t, e.MessageEN)
		})
	}
	// 二级动火 once started is not re-analysed on a clock, only after an interruption.
	require.NoError(t, permits.CheckGas(permits.DefaultRules().Kinds["11"], ok, t0.Add(10*time.Minute), t0.Add(10*time.Hour)))
	// An interruption: 特级/一级动火 need a new analysis after 30 min, 二级 after 60 min.
	require.NoError(t, permits.CheckResume(k, ok, t0.Add(time.Hour), t0.Add(time.Hour+30*time.Minute)))
	err := permits.CheckResume(k, ok, t0.Add(time.Hour), t0.Add(time.Hour+31*time.Minute))
	require.Error(t, err)
	require.Contains(t, err.Error(), "more than 30 min")
	second := permits.DefaultRules().Kinds["11"]
	require.NoError(t, permits.CheckResume(second, ok, t0.Add(time.Hour), t0.Add(time.Hour+59*time.Minute)))
	require.Error(t, permits.CheckResume(second, ok, t0.Add(time.Hour), t0.Add(time.Hour+61*time.Minute)))
	require.NoError(t, permits.CheckResume(k, append(ok, permits.Analysis{SampledAt: t0.Add(2 * time.Hour), Qualified: true}),
		t0.Add(time.Hour), t0.Add(2*time.Hour+10*time.Minute)), "a new analysis after the interruption lets the work resume")
}

func TestCertificate(t *testing.T) {
	k := permits.DefaultRules().Kinds["12"]
	day := time.Date(2026, 12, 5, 8, 0, 0, 0, schemas.Shanghai)
	require.NoError(t, permits.CheckCertificate(k, "钱焊工", "T1", "焊接与热切割作业", day, day))
	err := permits.CheckCertificate(k, "吴过期", "T2", "焊接与热切割作业", day.AddDate(0, 0, -1), day)
	var e *chemguard.Error
	require.ErrorAs(t, err, &e)
	require.Contains(t, e.MessageZH, "吴过期")
	require.Contains(t, e.MessageZH, "已于 2026-12-04 过期")
	require.Contains(t, e.MessageEN, "expired")
	require.Error(t, permits.CheckCertificate(k, "赵电工", "T3", "电工作业", day, day))
	require.NoError(t, permits.CheckCertificate(permits.DefaultRules().Kinds["31"], "无证", "", "", time.Time{}, day))
}
