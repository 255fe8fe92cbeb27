// Package geo measures distances on the Earth for every service that ranks
// or filters by place, so that listing search, availability, checkout
// rules and tour routes all agree on what "12 km away" means.
package geo

import "math"

// EarthRadiusKM is the mean Earth radius (IUGG). Haversine distance on this
// sphere is within 0.5% of the ellipsoidal distance: plenty to rank homes
// and realtors.
const EarthRadiusKM = 6371.0088

// DistanceKM is the great-circle (haversine) distance between two points
// given in degrees.
func DistanceKM(lat1, lng1, lat2, lng2 float64) float64 {
	const rad = math.Pi / 180
	φ1, φ2 := lat1*rad, lat2*rad
	dφ, dλ := φ2-φ1, (lng2-lng1)*rad
	h := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * EarthRadiusKM * math.Asin(math.Sqrt(min(1, h)))
}
