// Package clients holds typed HTTP clients for the services' public APIs,
// so that a service calls another the way outside clients do, through the
// contract, even when both run in one process. Every call has a timeout;
// reads are retried with backoff; each client has a circuit breaker so that
// a service that is down is failed fast instead of waited on.
package clients

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Errors callers branch on.
var (
	// ErrNotFound: the service answered 404.
	ErrNotFound = errors.New("not found")
	// ErrUnavailable: the service did not answer, answered 5xx, or its
	// breaker is open. The call may or may not have had an effect.
	ErrUnavailable = errors.New("service unavailable")
)

// APIError is a 4xx answer other than 404, with its problem details.
type APIError struct {
	Status  int
	Problem Problem
	// Body is the raw answer, for problems with extension members.
	Body []byte
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Problem.Title, e.Problem.Detail)
}

// Problem is an RFC 9457 problem as the services write it.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors,omitempty"`
}

// TokenSource gives the caller's access token (a service identity's, from
// auth.TokenSource).
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Options tune a client. The zero value is usable.
type Options struct {
	// Timeout bounds one attempt. Default 3s.
	Timeout time.Duration
	// Retries is how many times a read is retried after a failure.
	// Default 2. Writes are never retried here: they carry idempotency
	// keys and the caller decides.
	Retries int
	// Backoff is the first retry delay, doubled each time. Default 50ms.
	Backoff time.Duration
	// BreakerFailures consecutive failures open the breaker. Default 5.
	BreakerFailures uint32
	// BreakerOpen is how long the breaker stays open before letting one
	// trial call through. Default 5s.
	BreakerOpen time.Duration
}

func (o *Options) setDefaults() {
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Second
	}
	if o.Retries == 0 {
		o.Retries = 2
	}
	if o.Backoff == 0 {
		o.Backoff = 50 * time.Millisecond
	}
	if o.BreakerFailures == 0 {
		o.BreakerFailures = 5
	}
	if o.BreakerOpen == 0 {
		o.BreakerOpen = 5 * time.Second
	}
}

// caller is what every typed client is built on.
type caller struct {
	base    string
	http    *http.Client
	tokens  TokenSource
	opts    Options
	breaker *gobreaker.CircuitBreaker[*response]
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func newCaller(name, base string, hc *http.Client, tokens TokenSource, opts Options) *caller {
	opts.setDefaults()
	if hc == nil {
		hc = http.DefaultClient
	}
	return &caller{
		base: base, http: hc, tokens: tokens, opts: opts,
		breaker: gobreaker.NewCircuitBreaker[*response](gobreaker.Settings{
			Name:        name,
			MaxRequests: 1,
			Timeout:     opts.BreakerOpen,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= opts.BreakerFailures },
			// Only the service being down counts against it; a 4xx is an answer.
			IsSuccessful: func(err error) bool { return err == nil || !errors.Is(err, ErrUnavailable) },
		}),
	}
}

// BreakerOpen reports whether calls are currently failed fast.
func (c *caller) BreakerOpen() bool { return c.breaker.State() == gobreaker.StateOpen }

// call sends one request through the breaker (reads with retries) and
// returns the answer of any status below 500.
func (c *caller) call(ctx context.Context, method, path string, headers http.Header, body any, retry bool) (*response, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	attempts := 1
	if retry {
		attempts += c.opts.Retries
	}
	delay := c.opts.Backoff
	var lastErr error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
			case <-time.After(delay):
			}
			delay *= 2
		}
		resp, err := c.breaker.Execute(func() (*response, error) { return c.once(ctx, method, path, headers, raw) })
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			return nil, fmt.Errorf("%w: %s %s: circuit open", ErrUnavailable, method, path)
		}
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if !errors.Is(err, ErrUnavailable) {
			return nil, err
		}
	}
	return nil, lastErr
}

func (c *caller) once(ctx context.Context, method, path string, headers http.Header, raw []byte) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var rd io.Reader
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.tokens != nil {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: get service token: %v", ErrUnavailable, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %v", ErrUnavailable, method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: read: %v", ErrUnavailable, method, path, err)
	}
	if resp.StatusCode >= 500 {
		return nil, fmt.Errorf("%w: %s %s answered %d", ErrUnavailable, method, path, resp.StatusCode)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// decode turns an answer into v (on want) or an error.
func decode(resp *response, want int, v any) error {
	switch {
	case resp.status == want:
		if v == nil {
			return nil
		}
		return json.Unmarshal(resp.body, v)
	case resp.status == http.StatusNotFound:
		return ErrNotFound
	default:
		e := &APIError{Status: resp.status, Body: resp.body}
		_ = json.Unmarshal(resp.body, &e.Problem)
		return e
	}
}

// WhenUnavailable returns err wrapped in failure as well when err is a
// peer's ErrUnavailable, so the caller's own client is told failure (a
// fault.Unavailable in the caller's words) and errors.Is still finds
// ErrUnavailable; any other err is returned as it is.
func WhenUnavailable(err, failure error) error {
	if errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("%w: %w", failure, err)
	}
	return err
}
