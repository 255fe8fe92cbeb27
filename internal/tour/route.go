package tour

import (
	"math"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/geo"
)

// ShortestRoute orders stops into the shortest path that starts at the
// first stop (the home the customer put in the cart first). A tour has at
// most five homes, so trying every order of the others (24 at most) is
// both exact and cheap; beyond eight stops it falls back to nearest
// neighbour.
func ShortestRoute(stops []Stop) []Stop {
	if len(stops) <= 2 {
		return append([]Stop(nil), stops...)
	}
	if len(stops) > 8 {
		return nearestNeighbour(stops)
	}
	rest := append([]Stop(nil), stops[1:]...)
	best := append([]Stop{stops[0]}, rest...)
	bestLen := routeKM(best)
	permute(rest, 0, func(order []Stop) {
		cand := append([]Stop{stops[0]}, order...)
		if l := routeKM(cand); l < bestLen-1e-9 {
			best, bestLen = append([]Stop(nil), cand...), l
		}
	})
	return best
}

func permute(s []Stop, k int, visit func([]Stop)) {
	if k == len(s) {
		visit(s)
		return
	}
	for i := k; i < len(s); i++ {
		s[k], s[i] = s[i], s[k]
		permute(s, k+1, visit)
		s[k], s[i] = s[i], s[k]
	}
}

func nearestNeighbour(stops []Stop) []Stop {
	left := append([]Stop(nil), stops[1:]...)
	out := []Stop{stops[0]}
	for len(left) > 0 {
		last := out[len(out)-1].Location
		bi := 0
		for i := range left {
			if DistanceKM(last, left[i].Location) < DistanceKM(last, left[bi].Location) {
				bi = i
			}
		}
		out = append(out, left[bi])
		left = append(left[:bi], left[bi+1:]...)
	}
	return out
}

func routeKM(stops []Stop) float64 {
	total := 0.0
	for i := 1; i < len(stops); i++ {
		total += DistanceKM(stops[i-1].Location, stops[i].Location)
	}
	return total
}

// DriveTime is the driving time between two points at speed, from the
// great-circle distance, rounded up to the minute.
func DriveTime(a, b events.GeoPoint, speedKMH float64) time.Duration {
	minutes := math.Ceil(DistanceKM(a, b) / speedKMH * 60)
	return time.Duration(minutes) * time.Minute
}

// DistanceKM is the great-circle distance between two points (haversine).
func DistanceKM(a, b events.GeoPoint) float64 { return geo.DistanceKM(a.Lat, a.Lng, b.Lat, b.Lng) }
