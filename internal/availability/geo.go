package availability

import (
	"math"

	"github.com/openhouse/openhouse/internal/platform/geo"
)

// EarthRadiusKM is the sphere every distance is measured on.
const earthRadiusKM = geo.EarthRadiusKM

// DistanceKM is the great-circle (haversine) distance between a and b.
func distanceKM(a, b Point) float64 { return geo.DistanceKM(a.Lat, a.Lng, b.Lat, b.Lng) }

// kmPerDegreeLat is the length of one degree of latitude on that sphere.
const kmPerDegreeLat = earthRadiusKM * math.Pi / 180

// flatKM2 is the square of a flat-earth estimate of the distance from
// (lat, lng) to p, cosLat and cosP being the cosines of their latitudes:
// no trigonometry, for a scan to skip the far majority cheaply. Within
// MaxServiceRadiusKM it is within 0.1% of DistanceKM (geo_test.go), so
// comparing it with slack(d) never skips a point at distance d or less.
func flatKM2(lat, lng, cosLat float64, p Point, cosP float64) float64 {
	dLat := lat - p.Lat
	dLng := math.Abs(lng - p.Lng)
	if dLng > 180 {
		dLng = 360 - dLng
	}
	return (dLat*dLat + dLng*dLng*cosP*cosLat) * (kmPerDegreeLat * kmPerDegreeLat)
}

// slack widens a distance by more than flatKM2's error.
func slack(km float64) float64 { return km*1.01 + 0.01 }
