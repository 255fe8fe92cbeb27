package app

import (
	"github.com/openhouse/openhouse/internal/places"
	"github.com/openhouse/openhouse/internal/platform/auth"
)

// PlacesHost is the service whose processes serve the places API
// (internal/places): finding homes by place is part of searching listings,
// and the places API has no state or events of its own, so it rides along
// instead of adding a process to the distributed mode. The gateway sends
// /places there.
const PlacesHost = "listing"

// placesRoutes builds the places API: the embedded gazetteer, and the
// geocoder when OPENHOUSE_GEOCODER_URL names one.
func (a *App) placesRoutes() ([]auth.Route, error) {
	cfg := places.Config{Clock: a.clock, Log: a.log.With("service", "places")}
	if a.cfg.GeocoderURL != "" {
		g, err := places.NewGeocoder(places.GeocoderConfig{URL: a.cfg.GeocoderURL, HTTP: a.httpClient, Clock: a.clock})
		if err != nil {
			return nil, err
		}
		cfg.Geocoder = g
	}
	s, err := places.New(cfg)
	if err != nil {
		return nil, err
	}
	return s.Routes(), nil
}
