// Package places answers "where is that?" without the network: GET
// /places finds cities (GeoNames' towns of 1,000+ inhabitants) and US ZIP
// codes by prefix, accent-blind, in a gazetteer compiled into the binary
// and held in memory (about 7 MB). A Nominatim-compatible server, when one
// is configured, adds street addresses (GET /places/geocode), cached and
// rate limited; nothing depends on it.
//
// It has no database and no events: the listing service's processes serve
// it (finding homes by place is part of searching listings), so it adds no
// process to the distributed mode.
package places

import (
	"errors"
	"log/slog"

	"github.com/openhouse/openhouse/internal/platform/clock"
)

// Config configures the service.
type Config struct {
	// Gazetteer is the place list; nil means the embedded one.
	Gazetteer *Gazetteer
	// Geocoder is the optional street-address geocoder; nil means none.
	Geocoder *Geocoder
	Clock    clock.Clock
	Log      *slog.Logger
}

// Service is the places API.
type Service struct {
	places   *Gazetteer
	geocoder *Geocoder
	log      *slog.Logger
}

// New loads the gazetteer (unless cfg gives one) and returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Log == nil {
		return nil, errors.New("places: a logger is required")
	}
	g := cfg.Gazetteer
	if g == nil {
		var err error
		if g, err = Embedded(); err != nil {
			return nil, err
		}
	}
	return &Service{places: g, geocoder: cfg.Geocoder, log: cfg.Log}, nil
}
