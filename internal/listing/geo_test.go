package listing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestDistanceKM(t *testing.T) {
	tests := []struct {
		name string
		a, b location
		want float64 // km
		tol  float64
	}{
		{"same point", location{Lat: 47.6, Lng: -122.3}, location{Lat: 47.6, Lng: -122.3}, 0, 1e-9},
		// One degree of latitude on the mean sphere: 2*pi*R/360.
		{"one degree north", location{Lat: 0, Lng: 0}, location{Lat: 1, Lng: 0}, 111.1951, 0.001},
		{"across the antimeridian", location{Lat: 0, Lng: 179.5}, location{Lat: 0, Lng: -179.5}, 111.1951, 0.001},
		{"pole to pole", location{Lat: 90, Lng: 0}, location{Lat: -90, Lng: 0}, math.Pi * earthRadiusKM, 0.001},
		{"antipodes", location{Lat: 0, Lng: 0}, location{Lat: 0, Lng: 180}, math.Pi * earthRadiusKM, 0.001},
		// Seattle Space Needle to Pike Place Market: about 1.9 km.
		{"Seattle", location{Lat: 47.6205, Lng: -122.3493}, location{Lat: 47.6097, Lng: -122.3422}, 1.31, 0.05},
		// London to Paris: 343.5 km on the sphere.
		{"London to Paris", location{Lat: 51.5074, Lng: -0.1278}, location{Lat: 48.8566, Lng: 2.3522}, 343.5, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := distanceKM(tt.a, tt.b)
			if math.Abs(got-tt.want) > tt.tol {
				t.Fatalf("DistanceKM = %.4f, want %.4f ± %g", got, tt.want, tt.tol)
			}
			if back := distanceKM(tt.b, tt.a); math.Abs(back-got) > 1e-9 {
				t.Fatalf("not symmetric: %v and %v", got, back)
			}
		})
	}
}

// TestBoundingBoxHoldsTheCircle: every point within the radius is inside
// the box, at the antimeridian and the poles too; otherwise the prefilter
// would lose listings.
func TestBoundingBoxHoldsTheCircle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	centres := []location{
		{Lat: 47.6, Lng: -122.3}, {Lat: 0, Lng: 0}, {Lat: -33.9, Lng: 151.2},
		{Lat: 0, Lng: 179.99}, {Lat: 10, Lng: -179.95}, {Lat: -16.5, Lng: 179.4}, // Fiji straddles ±180
		{Lat: 89.9, Lng: 30}, {Lat: -89.95, Lng: -120}, {Lat: 78.2, Lng: 15.6}, // Svalbard
	}
	for _, c := range centres {
		for _, radius := range []float64{0.05, 1, 10, 25, 200} {
			t.Run(fmt.Sprintf("%v,%v r=%v", c.Lat, c.Lng, radius), func(t *testing.T) {
				box := boundingBox(c, radius)
				if !box.Contains(c) {
					t.Fatalf("box %+v misses its centre", box)
				}
				for range 2000 {
					// A random point near the circle's edge, inside or out.
					p := destination(c, rng.Float64()*360, radius*(0.9+0.1*rng.Float64()))
					if distanceKM(c, p) <= radius && !box.Contains(p) {
						t.Fatalf("box %+v misses %+v at %.6f km", box, p, distanceKM(c, p))
					}
				}
			})
		}
	}
}

// TestBoundingBoxIsTight: away from the poles the box is not much larger
// than the circle, so the prefilter prunes.
func TestBoundingBoxIsTight(t *testing.T) {
	c := location{Lat: 47.6, Lng: -122.3}
	box := boundingBox(c, 10)
	if box.WrapsAntimeridian {
		t.Fatal("Seattle's box wraps")
	}
	north := distanceKM(c, location{Lat: box.MaxLat, Lng: c.Lng})
	east := distanceKM(c, location{Lat: c.Lat, Lng: box.MaxLng})
	if north < 10 || north > 10.01 || east < 10 || east > 10.05 {
		t.Fatalf("box half-sides %.4f km north, %.4f km east, want just over 10", north, east)
	}
	far := location{Lat: 48.6, Lng: -122.3}
	if box.Contains(far) {
		t.Fatal("box holds a point 111 km away")
	}
	wrap := boundingBox(location{Lat: 0, Lng: 179.99}, 10)
	if !wrap.WrapsAntimeridian || wrap.Contains(location{Lat: 0, Lng: 0}) {
		t.Fatalf("antimeridian box %+v", wrap)
	}
	pole := boundingBox(location{Lat: 89.95, Lng: 0}, 10)
	if pole.MinLng != -180 || pole.MaxLng != 180 || pole.MaxLat != 90 {
		t.Fatalf("polar box %+v should span every longitude up to the pole", pole)
	}
}

// destination is the point distanceKM from c on the initial bearing (degrees).
func destination(c location, bearing, distanceKM float64) location {
	const rad = math.Pi / 180
	d := distanceKM / earthRadiusKM
	lat1, lng1, b := c.Lat*rad, c.Lng*rad, bearing*rad
	lat2 := math.Asin(math.Sin(lat1)*math.Cos(d) + math.Cos(lat1)*math.Sin(d)*math.Cos(b))
	lng2 := lng1 + math.Atan2(math.Sin(b)*math.Sin(d)*math.Cos(lat1), math.Cos(d)-math.Sin(lat1)*math.Sin(lat2))
	lng := math.Mod(lng2/rad+540, 360) - 180
	return location{Lat: lat2 / rad, Lng: lng}
}
