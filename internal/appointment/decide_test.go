package appointment

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestCommon(t *testing.T) {
	c := func(id string, km float64) Candidate {
		return Candidate{RealtorID: id, DistanceKM: km}
	}
	for _, tc := range []struct {
		name     string
		found    [][]Candidate
		declined []string
		want     []string
	}{
		{"no homes", nil, nil, nil},
		{"one home", [][]Candidate{{c("a", 1), c("b", 2)}}, nil, []string{"a", "b"}},
		{"free for every home only", [][]Candidate{{c("a", 1), c("b", 2), c("c", 3)}, {c("c", 9), c("a", 8)}, {c("a", 5), c("c", 1), c("d", 1)}}, nil, []string{"a", "c"}},
		{"found twice for one home is not two homes", [][]Candidate{{c("a", 1)}, {c("b", 1), c("b", 1)}}, nil, []string{}},
		{"listed twice counts once", [][]Candidate{{c("a", 1), c("a", 1)}, {c("a", 2)}}, nil, []string{"a"}},
		{"declined left out", [][]Candidate{{c("a", 1), c("b", 2)}, {c("b", 1), c("a", 2)}}, []string{"a"}, []string{"b"}},
		{"nobody for one home", [][]Candidate{{c("a", 1)}, {}}, nil, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := common(tc.found, tc.declined)
			if !slices.Equal(ids(got), tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Fatalf("Common = %v, want %v", ids(got), tc.want)
			}
			for _, g := range got { // the distance is to the first home
				if i := slices.IndexFunc(tc.found[0], func(f Candidate) bool { return f.RealtorID == g.RealtorID }); tc.found[0][i].DistanceKM != g.DistanceKM {
					t.Fatalf("%s: distance %v, want the first home's %v", g.RealtorID, g.DistanceKM, tc.found[0][i].DistanceKM)
				}
			}
		})
	}
}

func TestChooseUsesBookingHistory(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	common := []Candidate{{RealtorID: "near-busy", DistanceKM: 1}, {RealtorID: "far-idle", DistanceKM: 9}}
	got := choose(common, map[string]Candidate{"near-busy": {LastBooked: t0, WeekBookings: 3}})
	if want := []string{"far-idle", "near-busy"}; !slices.Equal(ids(got), want) {
		t.Fatalf("Choose = %v, want %v", ids(got), want)
	}
	if got[1].WeekBookings != 3 || !got[1].LastBooked.Equal(t0) {
		t.Fatalf("history not applied: %+v", got[1])
	}
}

// BenchmarkAssignmentDecision measures the decision the appointment
// service makes for each tour once availability has answered: keep the
// realtors free for all three homes (availability answers up to 100 per
// home; here 100 each, 80% of them common), drop two who declined, apply
// the booking history of each, and rank them fairly. The I/O around it
// (three availability searches, the history query, the reservation) is
// not included: see BenchmarkSearch10k and the booking benchmarks.
func BenchmarkAssignmentDecision(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 9))
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	pool := make([]string, 125)
	for i := range pool {
		pool[i] = fmt.Sprintf("realtor-%03d", i)
	}
	found := make([][]Candidate, 3)
	for h := range found {
		for _, i := range rng.Perm(len(pool))[:100] {
			found[h] = append(found[h], Candidate{RealtorID: pool[i], DistanceKM: rng.Float64() * 25})
		}
		slices.SortFunc(found[h], func(a, b Candidate) int { return int(a.DistanceKM*1000) - int(b.DistanceKM*1000) })
	}
	stats := map[string]Candidate{}
	for _, id := range pool {
		if rng.IntN(4) > 0 {
			stats[id] = Candidate{LastBooked: t0.Add(-time.Duration(rng.IntN(500)) * time.Hour), WeekBookings: rng.IntN(6)}
		}
	}
	declined := []string{pool[3], pool[7]}
	var n int
	b.ReportAllocs()
	for b.Loop() {
		n = len(choose(common(found, declined), stats))
	}
	b.ReportMetric(float64(n), "candidates")
}
