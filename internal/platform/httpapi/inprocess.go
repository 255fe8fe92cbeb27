package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// InProcess is an http.RoundTripper for the calls a process makes to
// services it runs itself (in the embedded mode, all of them): a request for
// the process's own listener is served by the same handler the listener
// serves (every middleware, authentication and route included) without a
// socket: no dial, no HTTP/1.1 encoding and parsing, no connection
// goroutines: a loopback round trip between services can cost more CPU
// than the handler it calls. Requests for any
// other host go to Next.
//
// The handler sees the request as the listener's server would show it:
// Host, RequestURI, a URL of path and query only, RemoteAddr on the
// loopback, HTTP/1.1, the body as sent, and a context of its own that
// carries none of the caller's values (its identity, its request id) but
// ends when the caller's does, as a closed connection would. A handler
// that panics past the middleware fails the call, as a connection the
// server drops does. The answer is complete when RoundTrip returns: the
// handler runs to its end in the caller's goroutine and its output is
// buffered, so InProcess is not for streams (none of the calls between
// services is one); a handler that flushes just keeps writing into the
// buffer.
type InProcess struct {
	// Host is the host:port the process's own services are called at
	// (the listener's address as peers write it).
	Host string
	// Next carries every other request. Nil is a PeerTransport.
	Next http.RoundTripper

	handler atomic.Pointer[http.Handler]
}

// Serve sets the handler for Host. Until it is set, requests for Host go
// over the network like the others.
func (t *InProcess) Serve(h http.Handler) { t.handler.Store(&h) }

// inProcessRemoteAddr is the client address handlers see: the loopback,
// where the calls came from before.
const inProcessRemoteAddr = "127.0.0.1:0"

// RoundTrip implements http.RoundTripper.
func (t *InProcess) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	h := t.handler.Load()
	if h == nil || req.URL.Host != t.Host || req.URL.Scheme != "http" {
		return t.next().RoundTrip(req)
	}
	if req.Body != nil {
		defer req.Body.Close() // as the transport does once it has sent the body
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer context.AfterFunc(req.Context(), cancel)()
	in, err := serverRequest(ctx, req)
	if err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, fmt.Errorf("%s %s: the handler panicked: %v", req.Method, req.URL, p)
		}
	}()
	w := &bufferedResponse{header: http.Header{}}
	(*h).ServeHTTP(w, in)
	if err := req.Context().Err(); err != nil {
		return nil, err // the caller gave up; the network client reports that too
	}
	return w.response(req), nil
}

func (t *InProcess) next() http.RoundTripper {
	if t.Next != nil {
		return t.Next
	}
	return defaultPeerTransport
}

var defaultPeerTransport = PeerTransport()

// serverRequest is req as http.Server would hand it to a handler, with ctx.
func serverRequest(ctx context.Context, req *http.Request) (*http.Request, error) {
	uri := req.URL.RequestURI()
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, err
	}
	in := req.Clone(ctx)
	in.URL = u
	in.RequestURI = uri
	in.Host = req.Host
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	in.Proto, in.ProtoMajor, in.ProtoMinor = "HTTP/1.1", 1, 1
	in.RemoteAddr = inProcessRemoteAddr
	in.Header.Del("Host")
	if sendsContentLength(req) {
		in.Header.Set("Content-Length", strconv.FormatInt(req.ContentLength, 10))
	}
	if in.Header.Get("User-Agent") == "" {
		in.Header.Set("User-Agent", "Go-http-client/1.1") // what the network client would send
	}
	in.Close = false
	in.TLS = nil
	in.Body = req.Body
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.GetBody = nil
	return in, nil
}

// sendsContentLength reports whether the network client would send a
// Content-Length header for req (net/http's transferWriter rule).
func sendsContentLength(req *http.Request) bool {
	switch {
	case req.ContentLength > 0:
		return true
	case req.ContentLength < 0:
		return false
	case req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch:
		return true
	default:
		return req.Method != http.MethodGet && req.Method != http.MethodHead
	}
}

// bufferedResponse is the http.ResponseWriter of an in-process call.
type bufferedResponse struct {
	header      http.Header
	status      int
	body        bytes.Buffer
	wroteHeader bool
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.status = code
}

func (w *bufferedResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Flush implements http.Flusher; the answer is delivered when the handler
// returns.
func (w *bufferedResponse) Flush() { w.WriteHeader(http.StatusOK) }

// response is the answer as the network client would return it.
func (w *bufferedResponse) response(req *http.Request) *http.Response {
	w.WriteHeader(http.StatusOK) // a handler that wrote nothing answered 200
	header := w.header           // the handler has returned: the map is the caller's now
	body := w.body.Bytes()
	bodyless := w.status == http.StatusNoContent || w.status == http.StatusNotModified
	if bodyless {
		body = nil
	}
	if header.Get("Content-Type") == "" && len(body) > 0 {
		header.Set("Content-Type", http.DetectContentType(body))
	}
	if header.Get("Content-Length") == "" && !bodyless {
		header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	if header.Get("Date") == "" {
		header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	length := int64(len(body))
	if req.Method == http.MethodHead {
		body = nil // the headers describe what a GET would have answered
	}
	return &http.Response{
		Status:        strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: length,
		Request:       req,
	}
}

// LocalHost is addr (a listener's address) as a peer URL's host: an
// unspecified IP (":8080", "0.0.0.0:8080") is called on the loopback.
func LocalHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
