package geo_test

import (
	"math"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/geo"
)

func TestDistanceKM(t *testing.T) {
	cases := []struct {
		name                   string
		lat1, lng1, lat2, lng2 float64
		want, tolerance        float64
	}{
		{"same point", 41.88, -87.63, 41.88, -87.63, 0, 1e-9},
		{"Chicago to Milwaukee", 41.8781, -87.6298, 43.0389, -87.9065, 130.3, 1},
		{"one degree of latitude", 0, 0, 1, 0, 111.195, 0.01},
		{"across the antimeridian", 0, 179.5, 0, -179.5, 111.195, 0.01},
		{"antipodes", 0, 0, 0, 180, math.Pi * geo.EarthRadiusKM, 0.01},
	}
	for _, c := range cases {
		if got := geo.DistanceKM(c.lat1, c.lng1, c.lat2, c.lng2); math.Abs(got-c.want) > c.tolerance {
			t.Errorf("%s: %.3f km, want %.3f", c.name, got, c.want)
		}
	}
}
