package simulate

import "hash/fnv"

// Position is where company c stands: within about 400 m of a point inside
// its county (countyPoints), the same on every call, so its 企业信息 lands in
// its county on the portal's county map. An unknown county gives a point in
// the middle of Shandong.
func Position(c Company) (lon, lat float64) {
	p, ok := countyPoints[c.County]
	if !ok {
		p = [2]float64{118.0, 36.4}
	}
	h := fnv.New64a()
	h.Write([]byte(c.Code))
	sum := h.Sum64()
	dx := float64(sum&0xffff)/0xffff - 0.5
	dy := float64(sum>>16&0xffff)/0xffff - 0.5
	return p[0] + dx*0.008, p[1] + dy*0.008
}
