package simulate

import (
	"crypto/sha256"
	"encoding/binary"
)

// Position is where company c stands: within about 1 km of a point inside
// its county (countyPoints), the same on every call, so its 企业信息 lands in
// its county on the portal's county map. An unknown county gives a point in
// the middle of Shandong.
func Position(c Company) (lon, lat float64) {
	p, ok := countyPoints[c.County]
	if !ok {
		p = [3]float64{118.0, 36.4, 0.1}
	}
	spread := min(p[2], 0.02) // offsets up to half of it: inside the county, within ±0.01° (about 1 km)
	h := sha256.Sum256([]byte(c.Code))
	sum := binary.BigEndian.Uint64(h[:8])
	dx := float64(sum&0xffff)/0xffff - 0.5
	dy := float64(sum>>16&0xffff)/0xffff - 0.5
	return p[0] + dx*spread, p[1] + dy*spread
}
