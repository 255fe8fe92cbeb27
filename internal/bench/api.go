package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// api calls the openhouse HTTP API; safe for concurrent use.
type api struct {
	base string
	http *http.Client
}

func newAPI(base string, conns int) *api {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = conns, conns
	return &api{base: base, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// call sends one request and decodes a JSON answer into out (if not nil).
// It returns the status (0 on a transport error) and how long it took.
func (a *api) call(ctx context.Context, method, path, token string, headers map[string]string, body, out any) (int, time.Duration, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, 0, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, time.Since(start), err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	if err != nil {
		return resp.StatusCode, took, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, took, fmt.Errorf("%s %s = %d %s", method, path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, took, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, took, nil
}

// page is a list answer.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// listAll reads every page of a list endpoint (limit 100).
func listAll[T any](ctx context.Context, a *api, path, token string) ([]T, error) {
	var all []T
	cursor := ""
	for {
		q := url.Values{"limit": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var p page[T]
		if _, _, err := a.call(ctx, "GET", path+"?"+q.Encode(), token, nil, nil, &p); err != nil {
			return all, err
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" || len(p.Items) == 0 {
			return all, nil
		}
		cursor = p.NextCursor
	}
}

// The parts of the API's resources the bench reads.
type (
	tourView struct {
		ID        string `json:"id"`
		OrderID   string `json:"order_id"`
		Status    string `json:"status"`
		RealtorID string `json:"realtor_id"`
	}
	appointmentView struct {
		ID        string    `json:"id"`
		TourID    string    `json:"tour_id"`
		RealtorID string    `json:"realtor_id"`
		StartsAt  time.Time `json:"starts_at"`
		EndsAt    time.Time `json:"ends_at"`
		Status    string    `json:"status"`
	}
	paymentView struct {
		ID      string `json:"id"`
		OrderID string `json:"order_id"`
		Status  string `json:"status"`
	}
	checkoutAnswer struct {
		OrderID string `json:"order_id"`
		// Alternatives, on a 409 slot-taken: the nearest open slots.
		Alternatives []slotView `json:"alternatives"`
	}
	slotView struct {
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
	}
	slotsView struct {
		Items []slotView `json:"items"`
	}
)

// nearest is the open slot starting nearest to t.
func (v slotsView) nearest(t time.Time) time.Time {
	best := v.Items[0].Start
	for _, s := range v.Items[1:] {
		if s.Start.Sub(t).Abs() < best.Sub(t).Abs() {
			best = s.Start
		}
	}
	return best
}
