package places

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"
)

// queries is what people type into a place box, letter by letter: short
// prefixes (the widest ranges: "s" spans about 10,000 towns), whole names,
// accents, qualifiers, ZIP codes whole and partial.
var queries = func() []string {
	var out []string
	for _, whole := range []string{"Chicago", "San Francisco", "São Paulo", "Zürich", "Springfield, IL", "New York", "60614", "94103", "Łódź", "Paris, TX", "Milwaukee", "st louis"} {
		r := []rune(whole)
		for i := 1; i <= len(r); i++ {
			out = append(out, string(r[:i]))
		}
	}
	return out
}()

// BenchmarkSearch is GET /places as the server runs it: parse, search the
// embedded gazetteer, encode JSON, over the query mix above; p50 and p99
// per request in ms. Figures in docs/performance.md.
func BenchmarkSearch(b *testing.B) {
	s, err := New(Config{Gazetteer: loadEmbedded(b), Log: quietLog()})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Routes()[0].Handler
	reqs := make([]*http.Request, len(queries))
	for i, q := range queries {
		reqs[i] = httptest.NewRequest("GET", "/places?q="+url.QueryEscape(q), nil)
	}
	lat := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, reqs[i%len(reqs)])
		lat = append(lat, time.Since(start))
		if w.Code != 200 {
			b.Fatalf("%s: %d", reqs[i%len(reqs)].URL, w.Code)
		}
		i++
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Nanoseconds()) / 1e6
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkLoad is the cost of loading the embedded gazetteer at start.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Embedded(); err != nil {
			b.Fatal(err)
		}
	}
}
