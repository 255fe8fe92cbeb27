package availability

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFlatEstimateNeverSkipsANearPoint: the scan's cheap estimate, widened
// by slack, is never below the true distance within the largest radius,
// anywhere on the globe the index places realtors (antimeridian included).
func TestFlatEstimateNeverSkipsANearPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		a := Point{Lat: (rng.Float64()*2 - 1) * maxIndexedLat, Lng: rng.Float64()*360 - 180}
		b := Point{Lat: a.Lat + (rng.Float64()*2-1)*2, Lng: a.Lng + (rng.Float64()*2-1)*2/math.Max(0.05, math.Cos(a.Lat*math.Pi/180))}
		if b.Lng > 180 {
			b.Lng -= 360
		}
		if b.Lng < -180 {
			b.Lng += 360
		}
		b.Lat = math.Max(-90, math.Min(90, b.Lat))
		d := distanceKM(a, b)
		if d > maxServiceRadiusKM {
			continue
		}
		est := flatKM2(a.Lat, a.Lng, math.Cos(a.Lat*math.Pi/180), b, math.Cos(b.Lat*math.Pi/180))
		if s := slack(d); est > s*s {
			t.Fatalf("%v to %v: haversine %.4f km, flat estimate %.4f km", a, b, d, math.Sqrt(est))
		}
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b Point
		km   float64
	}{
		{Point{41.8781, -87.6298}, Point{40.7128, -74.0060}, 1145}, // Chicago to New York
		{Point{0, 179.9}, Point{0, -179.9}, 22.2},                  // across the antimeridian
		{Point{51.5, 0}, Point{51.5, 0}, 0},
	} {
		if d := distanceKM(c.a, c.b); math.Abs(d-c.km) > c.km*0.005+0.01 {
			t.Errorf("%v to %v: %.2f km, want about %v", c.a, c.b, d, c.km)
		}
	}
}
