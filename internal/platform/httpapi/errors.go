package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/openhouse/openhouse/internal/platform/fault"
)

// WriteError is the one place where errors become HTTP answers:
//
//   - a *Problem anywhere in the chain (errors.As) is sent as it is;
//   - fault.ErrNotFound is 404 and fault.ErrConflict is 409 (stores return
//     them as store.ErrNotFound and store.ErrConflict);
//   - context.DeadlineExceeded is 503 (a dependency was too slow; retry);
//   - *http.MaxBytesError is 413;
//   - anything else is a 500 whose detail is only "internal error; request
//     id X". The error itself is logged at Error level with the request id
//     and never sent, because it may hold SQL, paths or other users' data.
//
// The mapped 404/409/503 answers use fixed details for the same reason.
// Handlers call WriteError and return; they write nothing else after it.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	WriteProblem(w, r, problemFor(r, err))
}

func problemFor(r *http.Request, err error) *Problem {
	var p *Problem
	var tooLarge *http.MaxBytesError
	var invalid fault.ValidationError
	switch {
	case err == nil:
		err = errors.New("httpapi: WriteError called with a nil error")
	case errors.As(err, &p) && p != nil:
		return p
	case errors.As(err, &tooLarge):
		return TooLarge(fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit))
	case errors.As(err, &invalid):
		return Validation(invalid...)
	case errors.Is(err, fault.ErrNotFound):
		return NotFound("the resource does not exist")
	case errors.Is(err, fault.ErrConflict):
		return Conflict("the request conflicts with the current state of the resource")
	case errors.Is(err, context.DeadlineExceeded):
		LoggerFrom(r.Context()).WarnContext(r.Context(), "request timed out", "error", err.Error())
		return Unavailable("the service took too long to answer; try again")
	}
	LoggerFrom(r.Context()).ErrorContext(r.Context(), "internal error",
		"error", err.Error(), "method", r.Method, "path", LoggablePath(r.URL.Path))
	return internalProblem(r)
}
