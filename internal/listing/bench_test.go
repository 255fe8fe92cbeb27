package listing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/platform/auth"
	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// metro is the box most generated listings fall in: greater Seattle,
// about 111 km north to south and 75 km east to west.
var metro = struct{ minLat, maxLat, minLng, maxLng float64 }{47.1, 48.1, -122.8, -121.8}

// generate100k makes n listings from a fixed seed: 80% spread evenly over
// the metro area (about 10 per km²), 20% over the contiguous United States.
// Prices, rooms and cities vary so that filters have something to do.
func generateListings(n int, seed uint64) []listing {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	cities := []string{"Seattle", "Bellevue", "Redmond", "Tacoma", "Everett", "Kirkland", "Renton", "Bothell"}
	ls := make([]listing, n)
	for i := range ls {
		d := seattle()
		if i%5 == 4 {
			d.Location = location{Lat: 25 + rng.Float64()*24, Lng: -124 + rng.Float64()*57}
		} else {
			d.Location = location{
				Lat: metro.minLat + rng.Float64()*(metro.maxLat-metro.minLat),
				Lng: metro.minLng + rng.Float64()*(metro.maxLng-metro.minLng),
			}
		}
		d.Title = fmt.Sprintf("Home %d", i)
		d.Description = "A generated home for the search benchmark."
		d.Address.City = cities[rng.IntN(len(cities))]
		d.Price = usd(int64(20+rng.IntN(180)) * 1_000_000)
		d.Bedrooms = rng.IntN(6)
		d.Bathrooms = 1 + rng.IntN(3)
		id := fmt.Sprintf("%08d-0000-7000-8000-000000000000", i)
		ls[i] = newListing(id, fmt.Sprintf("provider-%d", i%500), d, t0.Add(time.Duration(i)*time.Second))
	}
	return ls
}

type engine struct {
	name string
	open storetest.Opener
}

// engines are SQLite always and PostgreSQL when OPENHOUSE_TEST_DATABASE_URL
// is set, like storetest.Run.
func engines() []engine {
	out := []engine{{"sqlite", storetest.OpenSQLite}}
	if os.Getenv(storetest.EnvURL) != "" {
		out = append(out, engine{"postgres", storetest.OpenPostgres})
	}
	return out
}

// BenchmarkSearchRadius100k measures a radius query, first page of 20,
// nearest first, over 100,000 listings, at random points of the metro area,
// with and without filters; then the newest-first list for comparison, and
// one radius query through the HTTP handler (token check and JSON
// included). It reports the median and 99th-percentile latency of one
// search; the project's goal is p99 under 20 ms on 2 cores.
//
//	go test -run '^$' -bench SearchRadius100k -benchtime 2000x ./internal/listing/
func BenchmarkSearchRadius100k(b *testing.B) {
	const n = 100_000
	data := generateListings(n, 42)
	for _, e := range engines() {
		b.Run(e.name, func(b *testing.B) {
			ctx := context.Background()
			st, db := openStore(b, e.open, nil)
			start := time.Now()
			if err := bulkInsert(ctx, st, data); err != nil {
				b.Fatal(err)
			}
			if db.Dialect.Name == "postgres" {
				// What autovacuum does soon after a bulk load: statistics
				// for the planner, and the visibility map that lets the
				// covering index answer without visiting the table.
				if _, err := db.ExecContext(ctx, `VACUUM ANALYZE listings`); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("%s: loaded %d listings in %s", e.name, n, time.Since(start).Round(time.Millisecond))
			svc, err := New(st, Config{Log: quiet()})
			if err != nil {
				b.Fatal(err)
			}
			min := int64(50_000_000)
			for _, bc := range []struct {
				name string
				q    query
			}{
				{"radius=5km", query{RadiusKM: 5}},
				{"radius=10km", query{RadiusKM: 10}},
				{"radius=25km", query{RadiusKM: 25}},
				{"radius=25km+filters", query{RadiusKM: 25, MinBedrooms: 3, MinPrice: &min}},
				{"radius=25km+q", query{RadiusKM: 25, Text: "home 12"}},
				// Without near: newest first, the default list.
				{"newest", query{}},
				{"newest+city", query{City: "Redmond"}},
				{"newest+q", query{Text: "home 12"}},
			} {
				b.Run(bc.name, func(b *testing.B) {
					rng := rand.New(rand.NewPCG(7, 7))
					var lat []time.Duration
					hits := 0
					for b.Loop() {
						q := bc.q
						if q.RadiusKM > 0 {
							q.Near = &location{
								Lat: metro.minLat + 0.1 + rng.Float64()*(metro.maxLat-metro.minLat-0.2),
								Lng: metro.minLng + 0.1 + rng.Float64()*(metro.maxLng-metro.minLng-0.2),
							}
						}
						q.Limit = 20
						t := time.Now()
						page, err := svc.Search(ctx, q)
						lat = append(lat, time.Since(t))
						if err != nil {
							b.Fatal(err)
						}
						hits += len(page.Hits)
					}
					reportLatency(b, lat)
					b.ReportMetric(float64(hits)/float64(len(lat)), "hits/op")
				})
			}
			b.Run("radius=10km/http", func(b *testing.B) {
				s := newServerOn(b, st)
				customer := auth.Principal{ID: "c1", Role: auth.RoleCustomer}
				rng := rand.New(rand.NewPCG(7, 7))
				var lat []time.Duration
				for b.Loop() {
					path := fmt.Sprintf("/listings?near=%.5f,%.5f&radius_km=10",
						metro.minLat+0.1+rng.Float64()*(metro.maxLat-metro.minLat-0.2),
						metro.minLng+0.1+rng.Float64()*(metro.maxLng-metro.minLng-0.2))
					t := time.Now()
					s.do(&customer, "GET", path, nil).want(200)
					lat = append(lat, time.Since(t))
				}
				reportLatency(b, lat)
			})
		})
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
