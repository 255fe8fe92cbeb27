package gateway

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
)

// failover is the proxy's transport: it sends a request to the first
// instance in the pool's order and, when no connection could be made
// (refused, unreachable, dial timeout: the request never left), ejects that
// instance and tries the next. A request that reached an instance is never
// sent again, since it may have had its effect; the client sees 502 and
// retries with its idempotency key if it has one.
type failover struct {
	pool *pool
	next http.RoundTripper
	log  *slog.Logger
}

func (f *failover) RoundTrip(req *http.Request) (*http.Response, error) {
	body := &unsentBody{r: req.Body}
	if req.Body == nil || req.Body == http.NoBody {
		body = nil
	}
	var lastErr error
	for _, in := range f.pool.order() {
		out := req.Clone(req.Context())
		out.URL.Scheme, out.URL.Host = in.url.Scheme, in.url.Host
		out.Host = in.url.Host
		if body != nil {
			out.Body = body
		}
		resp, err := f.next.RoundTrip(out)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if !notSent(err) || (body != nil && body.read) {
			return nil, err
		}
		if in.healthy.Swap(false) {
			f.log.Warn("gateway: instance ejected", "service", f.pool.service, "instance", in.url.Host, "err", err)
		}
	}
	if req.Body != nil {
		req.Body.Close()
	}
	return nil, lastErr
}

// notSent reports a failure to connect, after which the request is known
// not to have reached the instance.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// unsentBody lets a request body be offered to a second instance after a
// failed connect: the transport closes a request's body when it fails, so
// Close is ignored here (the server closes the real body after the
// handler), and read records whether any of it was consumed, in which case
// the request is not retried.
type unsentBody struct {
	r    io.ReadCloser
	read bool
}

func (b *unsentBody) Read(p []byte) (int, error) {
	b.read = true
	return b.r.Read(p)
}

func (b *unsentBody) Close() error { return nil }
