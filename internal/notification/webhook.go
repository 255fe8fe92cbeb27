package notification

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a webhook POST's signature: "t=<unix seconds>,
// v1=<hex HMAC-SHA256 of "<t>.<body>" with the user's secret>", as Stripe
// does. Receivers recompute it, compare in constant time, and refuse a t
// too far from their clock (replays).
const signatureHeader = "Openhouse-Signature"

// Sign returns the SignatureHeader value for body sent at t.
func sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a SignatureHeader value against body and secret, and that
// its timestamp is within tolerance of now. It is what a receiver written in
// Go would do.
func verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("webhook signature: malformed header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook signature: timestamp outside the tolerance")
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return errors.New("webhook signature: no signature matches")
}

// WebhookBody is the JSON a webhook receives: the notification, and the
// tour as it was when the notification was made.
type WebhookBody struct {
	ID        string      `json:"id"` // the notification id; the same on every retry
	Type      string      `json:"type"`
	Kind      Kind        `json:"kind"`
	UserID    string      `json:"user_id"`
	TourID    string      `json:"tour_id"`
	Subject   string      `json:"subject"`
	Body      string      `json:"body"`
	SendAt    time.Time   `json:"send_at"`
	CreatedAt time.Time   `json:"created_at"`
	Tour      WebhookTour `json:"tour"`
}

// WebhookTour is the tour part of a WebhookBody.
type WebhookTour struct {
	TourID      string    `json:"tour_id"`
	Status      string    `json:"status"`
	ScheduledAt time.Time `json:"scheduled_at"`
	EndsAt      time.Time `json:"ends_at"`
	TimeZone    string    `json:"time_zone"`
	RealtorID   string    `json:"realtor_id,omitempty"`
	Version     int       `json:"version"`
}

// Poster sends signed webhook POSTs. Its client refuses to connect to
// loopback, private, link-local and other non-public addresses (so a
// webhook cannot reach into the network openhouse runs in), unless
// AllowLoopback, which lets tests use 127.0.0.1; it never follows
// redirects and ignores proxy settings.
type Poster struct {
	client *http.Client
}

// newPoster returns a Poster whose requests time out after timeout.
func newPoster(timeout time.Duration, allowLoopback bool) *Poster {
	dialer := &net.Dialer{Timeout: timeout, Control: dialGuard(allowLoopback)}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Poster{client: &http.Client{
		Timeout:       timeout,
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Post sends body to url signed with secret at now. Any 2xx answer is
// success; anything else, or no answer, is an error to retry.
func (p *Poster) Post(ctx context.Context, url, secret, deliveryID string, kind Kind, body []byte, now time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "openhouse-webhooks/1")
	req.Header.Set(signatureHeader, sign(secret, now, body))
	req.Header.Set("Openhouse-Delivery", deliveryID)
	req.Header.Set("Openhouse-Kind", string(kind))
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return fmt.Errorf("webhook answered %d, a redirect, which is never followed", resp.StatusCode)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}
