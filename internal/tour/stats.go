package tour

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/openhouse/openhouse/internal/platform/httpapi"
	"github.com/openhouse/openhouse/internal/platform/store"
)

// maxStatsHours bounds the window of GET /tours/stats (a week).
const maxStatsHours = 168

// statsReader is a store that can answer the admin overview (SQLStore).
type statsReader interface {
	unassignedReader
	// CreatedSince returns the creation times of the tours created at or
	// after since (one per paid booking).
	CreatedSince(ctx context.Context, since time.Time) ([]time.Time, error)
}

// CreatedSince implements statsReader.
func (s *SQLStore) CreatedSince(ctx context.Context, since time.Time) ([]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT created_at FROM tours WHERE created_at >= $1`, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("tours created since %s: %w", since, err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var t store.Time
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t.UTC())
	}
	return out, rows.Err()
}

// hourCount is one hour of the overview: its start and the tours booked in it.
type hourCount struct {
	Hour  time.Time `json:"hour"`
	Count int       `json:"count"`
}

// latencyView summarises the time from a paid booking to its realtor.
type latencyView struct {
	Count int      `json:"count"`
	P50   *float64 `json:"p50_seconds"`
	P99   *float64 `json:"p99_seconds"`
}

type unassignedView struct {
	Count           int        `json:"count"`
	OldestCreatedAt *time.Time `json:"oldest_created_at"`
}

// statsQuery are GET /tours/stats's parameters; any other is a 400.
type statsQuery struct {
	Hours int `query:"hours" doc:"How many hours back, 24 by default." example:"24"`
}

// statsView is GET /tours/stats: the admin overview's tour figures.
type statsView struct {
	From            time.Time      `json:"from"`
	To              time.Time      `json:"to"`
	BookingsPerHour []hourCount    `json:"bookings_per_hour"`
	TimeToSchedule  latencyView    `json:"time_to_schedule"`
	Unassigned      unassignedView `json:"unassigned"`
}

// handleStats answers the admin overview: tours booked per hour over the
// last hours (default 24, at most MaxStatsHours), oldest first, every hour
// present; the time from payment to a realtor's assignment (p50, p99) from
// this process's own histogram (openhouse_tour_time_to_schedule_seconds,
// estimated within its buckets as Prometheus' histogram_quantile does; in
// the distributed mode, the instance that answers); and the tours waiting
// for a realtor.
func (s *Service) handleStats(w http.ResponseWriter, r *http.Request) {
	hours := 24
	for name := range r.URL.Query() {
		if name != "hours" {
			httpapi.WriteError(w, r, statsParam(name, "is not a parameter of this query"))
			return
		}
	}
	if v := r.URL.Query().Get("hours"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxStatsHours {
			httpapi.WriteError(w, r, statsParam("hours", fmt.Sprintf("must be an integer from 1 to %d", maxStatsHours)))
			return
		}
		hours = n
	}
	st, ok := s.store.(statsReader)
	if !ok {
		httpapi.WriteError(w, r, httpapi.NotFound("this store keeps no statistics"))
		return
	}
	now := s.cfg.Clock.Now().UTC()
	to := now.Truncate(time.Hour).Add(time.Hour)
	from := to.Add(-time.Duration(hours) * time.Hour)
	created, err := st.CreatedSince(r.Context(), from)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	n, oldest, err := st.Unassigned(r.Context())
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	v := statsView{From: from, To: to, BookingsPerHour: bookingsPerHour(created, from, hours), Unassigned: unassignedView{Count: n}}
	if !oldest.IsZero() {
		o := oldest.UTC()
		v.Unassigned.OldestCreatedAt = &o
	}
	if s.metrics != nil {
		v.TimeToSchedule = latencyOf(s.metrics.timeToSchedule)
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
}

func statsParam(name, msg string) *httpapi.Problem {
	p := httpapi.BadRequest("query parameter " + name + " " + msg)
	p.Errors = []httpapi.FieldError{{Field: name, Message: msg}}
	return p
}

// bookingsPerHour counts created into the hours from from on.
func bookingsPerHour(created []time.Time, from time.Time, hours int) []hourCount {
	out := make([]hourCount, hours)
	for i := range out {
		out[i].Hour = from.Add(time.Duration(i) * time.Hour)
	}
	for _, t := range created {
		if i := int(t.Sub(from) / time.Hour); i >= 0 && i < hours {
			out[i].Count++
		}
	}
	return out
}

// metricWriter is a Prometheus metric that can be read back.
type metricWriter interface{ Write(*dto.Metric) error }

func latencyOf(h metricWriter) latencyView {
	var m dto.Metric
	if h == nil || h.Write(&m) != nil || m.Histogram == nil {
		return latencyView{}
	}
	hist := m.Histogram
	v := latencyView{Count: int(hist.GetSampleCount())}
	if v.Count == 0 {
		return v
	}
	p50, p99 := quantile(0.5, hist), quantile(0.99, hist)
	v.P50, v.P99 = &p50, &p99
	return v
}

// quantile estimates the q-quantile of a histogram as Prometheus'
// histogram_quantile does: linear within the bucket that holds it; in the
// +Inf bucket, the highest finite bound.
func quantile(q float64, h *dto.Histogram) float64 {
	rank := q * float64(h.GetSampleCount())
	lower, below := 0.0, 0.0
	for _, b := range h.GetBucket() {
		upper, count := b.GetUpperBound(), float64(b.GetCumulativeCount())
		if count >= rank && !math.IsInf(upper, 1) {
			if count == below {
				return upper
			}
			return round3(lower + (upper-lower)*(rank-below)/(count-below))
		}
		lower, below = upper, count
	}
	return round3(lower)
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
