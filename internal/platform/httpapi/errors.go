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
//   - a fault.Answerer (a fault.Error sentinel such as fault.ErrNotFound,
//     a fault.ValidationError, or a domain's typed error) is answered by its
//     kind with its own detail, type, title, fields and extensions (see
//     answerProblem);
//   - context.DeadlineExceeded is 503 (a dependency was too slow; retry);
//   - *http.MaxBytesError is 413;
//   - anything else is a 500 whose detail is only "internal error; request
//     id X". The error itself is logged at Error level with the request id
//     and never sent, because it may hold SQL, paths or other users' data.
//
// For the same reason a fault's answer has the detail its error declares,
// never the text of what wraps it (unless it asks for that, WholeText), and
// a timeout's 503 a fixed one.
// Handlers call WriteError and return; they write nothing else after it.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	WriteProblem(w, r, problemFor(r, err))
}

func problemFor(r *http.Request, err error) *Problem {
	var p *Problem
	var tooLarge *http.MaxBytesError
	var known fault.Answerer
	switch {
	case err == nil:
		err = errors.New("httpapi: WriteError called with a nil error")
	case errors.As(err, &p) && p != nil:
		return p
	case errors.As(err, &tooLarge):
		return TooLarge(fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit))
	case errors.As(err, &known):
		if p := answerProblem(known.Answer(), err); p != nil {
			return p
		}
	case errors.Is(err, context.DeadlineExceeded):
		LoggerFrom(r.Context()).WarnContext(r.Context(), "request timed out", "error", err.Error())
		return Unavailable("the service took too long to answer; try again")
	}
	LoggerFrom(r.Context()).ErrorContext(r.Context(), "internal error",
		"error", err.Error(), "method", r.Method, "path", LoggablePath(r.URL.Path))
	return internalProblem(r)
}

// answerProblem is the problem for a failure's answer, or nil for
// fault.KindInternal or a kind it does not know (a 500 then, logged); whole
// is the error the failure was found in, whose text a WholeText answer sends.
func answerProblem(a fault.Answer, whole error) *Problem {
	detail := a.Detail
	if a.WholeText {
		detail = whole.Error()
	}
	var p *Problem
	switch a.Kind {
	case fault.KindBadRequest:
		p = BadRequest(detail)
	case fault.KindUnauthorized:
		p = Unauthorized(detail)
	case fault.KindForbidden:
		p = Forbidden(detail)
	case fault.KindNotFound:
		p = NotFound(detail)
	case fault.KindConflict:
		p = Conflict(detail)
	case fault.KindInvalid:
		p = Validation(a.Fields...)
	case fault.KindUnprocessable:
		p = Unprocessable(detail)
	case fault.KindTooManyRequests:
		p = TooManyRequests(detail, a.RetryAfter)
	case fault.KindUnavailable:
		p = Unavailable(detail)
	default:
		return nil
	}
	if a.Type != "" {
		p.Type = a.Type
	}
	if a.Title != "" {
		p.Title = a.Title
	}
	p.RetryAfter = a.RetryAfter
	p.Extensions = a.Extensions
	return p
}
