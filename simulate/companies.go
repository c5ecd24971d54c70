package simulate

import (
	"fmt"
	"math/rand/v2"

	"github.com/shandong-emergency/chemguard/tiers"
)

var (
	brandPrefixes = []string{"鲁", "齐", "泰", "华", "海", "瑞", "金", "恒", "昌", "宏", "正", "天"}
	brandSuffixes = []string{"化工", "石化", "新材料", "精细化工", "化学", "能源", "医药化工", "氯碱"}
)

// Companies returns n companies spread over every county of Shandong, about one in
// six a gas station, with codes "<county><3-digit serial>". The same n and seed always
// give the same companies, so a re-run of the simulator finds them registered.
func Companies(n int, seed uint64) []Company {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	var counties []tiers.Division
	for _, d := range tiers.Divisions() {
		if d.Level == tiers.County {
			counties = append(counties, d)
		}
	}
	perCounty := map[string]int{}
	out := make([]Company, n)
	for i := range out {
		county := counties[i%len(counties)]
		perCounty[county.Code]++
		c := Company{Code: fmt.Sprintf("%s%03d", county.Code, perCounty[county.Code]), County: county.Code}
		if r.IntN(6) == 0 {
			c.GasStation = true
			c.Name = fmt.Sprintf("中国石化销售股份有限公司山东%s第%d加油站", county.NameZH, perCounty[county.Code])
		} else {
			c.Name = county.NameZH + pick(r, brandPrefixes) + pick(r, brandPrefixes) + pick(r, brandSuffixes) + "有限公司"
		}
		out[i] = c
	}
	return out
}
