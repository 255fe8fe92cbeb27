package listing

import (
	"math"

	"github.com/openhouse/openhouse/internal/platform/geo"
)

// earthRadiusKM is the sphere every distance is measured on.
const earthRadiusKM = geo.EarthRadiusKM

// distanceKM is the great-circle (haversine) distance between a and b.
//
// Search computes it in Go, not SQL: SQLite has no trigonometric functions
// by default, and one formula in one place ranks the same on both engines.
func distanceKM(a, b location) float64 { return geo.DistanceKM(a.Lat, a.Lng, b.Lat, b.Lng) }

// box is a latitude/longitude rectangle that holds a circle: the prefilter
// an index on (lat, lng) can answer. When WrapsAntimeridian is set the
// longitudes run from MinLng east across ±180° to MaxLng, so MinLng >
// MaxLng and a point is inside when lng >= MinLng OR lng <= MaxLng.
type box struct {
	MinLat, MaxLat    float64
	MinLng, MaxLng    float64
	WrapsAntimeridian bool
}

// boxSlack widens every box by about a millimetre, so a point exactly on the
// circle is never lost to rounding; the exact distance decides.
const boxSlack = 1e-8

// boundingBox returns the smallest latitude/longitude box that holds every
// point within radiusKM of c (Jan Matuschek, "Finding Points Within a
// Distance of a Latitude/Longitude Using Bounding Coordinates"). Near a
// pole, where the circle covers every longitude, the box spans -180..180;
// across the antimeridian it wraps (see box).
func boundingBox(c location, radiusKM float64) box {
	const deg = 180 / math.Pi
	r := radiusKM / earthRadiusKM * deg // angular radius in degrees
	b := box{MinLat: c.Lat - r - boxSlack, MaxLat: c.Lat + r + boxSlack}
	if b.MinLat <= -90 || b.MaxLat >= 90 {
		b.MinLat, b.MaxLat = max(b.MinLat, -90), min(b.MaxLat, 90)
		b.MinLng, b.MaxLng = -180, 180
		return b
	}
	rr := radiusKM / earthRadiusKM
	dLng := math.Asin(math.Min(1, math.Sin(rr)/math.Cos(c.Lat/deg)))*deg + boxSlack
	if dLng >= 180 {
		b.MinLng, b.MaxLng = -180, 180
		return b
	}
	b.MinLng, b.MaxLng = c.Lng-dLng, c.Lng+dLng
	switch {
	case b.MinLng < -180:
		b.MinLng += 360
		b.WrapsAntimeridian = true
	case b.MaxLng > 180:
		b.MaxLng -= 360
		b.WrapsAntimeridian = true
	}
	return b
}

// Contains reports whether p is inside the box.
func (b box) Contains(p location) bool {
	if p.Lat < b.MinLat || p.Lat > b.MaxLat {
		return false
	}
	if b.WrapsAntimeridian {
		return p.Lng >= b.MinLng || p.Lng <= b.MaxLng
	}
	return p.Lng >= b.MinLng && p.Lng <= b.MaxLng
}
