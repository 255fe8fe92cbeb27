package tour

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestLatencyQuantiles: p50 and p99 read from the histogram the saga
// observes, interpolated within buckets as histogram_quantile does.
func TestLatencyQuantiles(t *testing.T) {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "x", Buckets: scheduleBuckets})
	if v := latencyOf(h); v.Count != 0 || v.P50 != nil || v.P99 != nil {
		t.Fatalf("empty = %+v", v)
	}
	// 98 fast (within 0.05-0.1 s), 2 slow (within 30-60 s).
	for range 98 {
		h.Observe(0.07)
	}
	h.Observe(40)
	h.Observe(45)
	v := latencyOf(h)
	// p50: rank 50 of 98 in (0.05, 0.1]: 0.05 + 0.05*50/98.
	if v.Count != 100 || *v.P50 != 0.076 {
		t.Errorf("p50 = %v of %d, want 0.076", *v.P50, v.Count)
	}
	// p99: rank 99, the first of the two in (30, 60]: 30 + 30*1/2.
	if *v.P99 != 45 {
		t.Errorf("p99 = %v, want 45", *v.P99)
	}
	h.Observe(100000) // past the last bound: the highest finite bound
	if q := latencyOf(h); *q.P99 <= 45 {
		t.Errorf("p99 with a huge one = %v", *q.P99)
	}
}
