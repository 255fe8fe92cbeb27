package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// Limits on request bodies. They are part of the API contract (a body over
// 1 MiB is a 413), so they are constants rather than settings.
const (
	// MaxBodyBytes is the largest request body Decode reads.
	MaxBodyBytes = 1 << 20
	// MaxJSONDepth is how deeply objects and arrays may nest; no openhouse
	// request needs more, and deep nesting costs the decoder stack.
	MaxJSONDepth = 32
)

// Validator is implemented by request types that check their own fields
// after decoding. A non-empty result makes Decode return a Validation
// problem (422) carrying it.
type Validator interface {
	Validate() []FieldError
}

// WriteJSON sends v as application/json with the given status. v is encoded
// before anything is written, so an encoding failure still becomes a clean
// 500 instead of a half-written body. 204 and 304 are sent without a body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		// A response type that cannot be marshalled is a programming
		// error; there is no request here to log it against.
		slog.Default().Error("encode response", "error", err.Error())
		WriteProblem(w, nil, newProblem(http.StatusInternalServerError, TypeInternal, "internal error"))
		return
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Decode reads one JSON value from the request body into dst (a pointer) and
// then, if dst is a Validator, validates it. Every failure the client caused
// is returned as a *Problem, ready for WriteError:
//
//   - Content-Type other than application/json (charset=utf-8 allowed): 415
//   - body over MaxBodyBytes: 413
//   - empty body, malformed JSON (with the byte offset), nesting deeper than
//     MaxJSONDepth, a value of the wrong type or out of range for its field
//     (with the field name), an unknown field, or data after the value: 400
//   - Validate returned errors: 422
//
// Numbers are never wrapped or truncated: 300 for a uint8 is a 400. Any other
// error (dst is not a pointer) is a programming error and is returned as a
// plain error, which WriteError turns into a 500.
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if p := checkContentType(r.Header.Get("Content-Type")); p != nil {
		return p
	}
	body, p := readBody(w, r)
	if p != nil {
		return p
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return BadRequest("request body is empty; send a JSON value")
	}
	if depth := jsonDepth(body); depth > MaxJSONDepth {
		return BadRequest(fmt.Sprintf("JSON nests deeper than %d levels", MaxJSONDepth))
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeProblem(err)
	}
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return BadRequest(fmt.Sprintf("unexpected data after the JSON value at byte offset %d", len(body)-len(rest)))
	}
	if v, ok := dst.(Validator); ok {
		if errs := v.Validate(); len(errs) > 0 {
			return Validation(errs...)
		}
	}
	return nil
}

func checkContentType(ct string) *Problem {
	const want = "request body must be sent with Content-Type: application/json"
	if ct == "" {
		return UnsupportedMediaType(want)
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil || mediaType != "application/json" {
		return UnsupportedMediaType(want)
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return UnsupportedMediaType(want + " (only charset=utf-8 may be given)")
		}
	}
	return nil
}

// readBody reads the whole body under MaxBodyBytes. Reading it first (rather
// than streaming into the decoder) lets the depth check run before any
// allocation driven by the content, and makes trailing data easy to spot.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *Problem) {
	tooLarge := TooLarge(fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes))
	if r.ContentLength > MaxBodyBytes {
		return nil, tooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		return nil, BadRequest("could not read the request body")
	}
	return body, nil
}

// jsonDepth returns the deepest nesting of objects and arrays in b, skipping
// brackets inside strings. It does not validate b; the decoder does that.
func jsonDepth(b []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > deepest {
				deepest = depth
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// decodeProblem turns an encoding/json error into a 400 that says where the
// problem is, without echoing Go type names back to the client.
func decodeProblem(err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		invalid   *json.InvalidUnmarshalError
		p         *Problem
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &invalid):
		return fmt.Errorf("httpapi.Decode: %w", err)
	case errors.As(err, &syntaxErr):
		return BadRequest(fmt.Sprintf("malformed JSON at byte offset %d", syntaxErr.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &typeErr):
		want := describeType(typeErr.Type)
		if typeErr.Field == "" {
			return BadRequest("request body must be " + want)
		}
		msg := "must be " + want
		pr := BadRequest(fmt.Sprintf("field %q %s", typeErr.Field, msg))
		pr.Errors = []FieldError{{Field: typeErr.Field, Message: msg}}
		return pr
	}
	if name, ok := unknownField(err); ok {
		pr := BadRequest(fmt.Sprintf("unknown field %q", name))
		pr.Errors = []FieldError{{Field: name, Message: "unknown field"}}
		return pr
	}
	// An UnmarshalJSON or UnmarshalText method rejected its input (a bad
	// time, say). Those messages describe the input, not the server.
	return BadRequest("invalid JSON value: " + err.Error())
}

// unknownField recognises DisallowUnknownFields' error, which has no type of
// its own: `json: unknown field "name"`.
func unknownField(err error) (string, bool) {
	const prefix = "json: unknown field "
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return "", false
	}
	name, uerr := strconv.Unquote(msg[len(prefix):])
	if uerr != nil {
		name = msg[len(prefix):]
	}
	return name, true
}

// describeType says what JSON a Go type accepts, in the client's terms.
func describeType(t reflect.Type) string {
	if t == nil {
		return "a valid value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		return fmt.Sprintf("an integer between %d and %d", int64(-1)<<(bits-1), int64(math.MaxInt64>>(64-bits)))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return fmt.Sprintf("an integer between 0 and %d", uint64(math.MaxUint64>>(64-t.Bits())))
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a valid value"
}
