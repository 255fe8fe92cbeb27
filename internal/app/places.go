package app

import (
	"runtime/debug"

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
	// Loading allocates about 50 MB that is garbage at once (the
	// decompressed file, the columns' growth) for 7 MB kept; the runtime
	// would hand that back to the system over minutes, so an idle process
	// would sit 10 MB larger meanwhile. Hand it back now, once.
	debug.FreeOSMemory()
	return s.Routes(), nil
}
