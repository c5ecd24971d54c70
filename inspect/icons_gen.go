//go:build ignore

// icons_gen draws the app's icons (a white shield with a check mark on the
// platform's blue) into static/: go generate ./inspect
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

func main() {
	for _, ic := range []struct {
		name     string
		size     int
		maskable bool
	}{{"static/icon-192.png", 192, false}, {"static/icon-512.png", 512, false}, {"static/icon-maskable-512.png", 512, true}} {
		if err := write(ic.name, draw(ic.size, ic.maskable)); err != nil {
			log.Fatal(err)
		}
	}
}

func write(name string, img image.Image) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func draw(n int, maskable bool) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	blue := color.NRGBA{0x0b, 0x4f, 0x8a, 0xff}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	green := color.NRGBA{0x2e, 0x7d, 0x32, 0xff}
	s := float64(n)
	radius := s * 0.18 // rounded corners; a maskable icon fills the square
	if maskable {
		radius = 0
	}
	inset := 0.0
	if maskable {
		inset = s * 0.1 // the safe zone: the mark within the middle 80 %
	}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			fx, fy := float64(x)+.5, float64(y)+.5
			if !inRounded(fx, fy, s, radius) {
				continue
			}
			img.SetNRGBA(x, y, blue)
			// Shield: a rectangle top half, a tapering point below.
			u := (fx - inset) / (s - 2*inset)
			v := (fy - inset) / (s - 2*inset)
			if inShield(u, v) {
				img.SetNRGBA(x, y, white)
				if onCheck(u, v) {
					img.SetNRGBA(x, y, green)
				}
			}
		}
	}
	return img
}

func inRounded(x, y, s, r float64) bool {
	cx := math.Max(r, math.Min(s-r, x))
	cy := math.Max(r, math.Min(s-r, y))
	return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r
}

func inShield(u, v float64) bool {
	if v < 0.18 || v > 0.86 {
		return false
	}
	half := 0.3
	if v > 0.5 {
		half = 0.3 * (0.86 - v) / 0.36
	}
	return math.Abs(u-0.5) <= half
}

// onCheck: two thick strokes, (0.36,0.5)→(0.46,0.62)→(0.66,0.36).
func onCheck(u, v float64) bool {
	return segDist(u, v, 0.36, 0.5, 0.46, 0.62) < 0.04 || segDist(u, v, 0.46, 0.62, 0.66, 0.36) < 0.04
}

func segDist(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/(dx*dx+dy*dy)))
	qx, qy := ax+t*dx-px, ay+t*dy-py
	return math.Hypot(qx, qy)
}
