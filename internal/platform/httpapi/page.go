package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Paging limits from the API contract.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	// maxCursorLen bounds what DecodeCursor will look at; real cursors (a
	// sort key and an id) are far shorter.
	maxCursorLen = 1024
)

// Page is a list request's position: at most Limit items after Cursor (""
// for the first page).
type Page struct {
	Limit  int
	Cursor string
}

// ParsePage reads the limit and cursor query parameters. limit defaults to
// DefaultLimit; anything but an integer from 1 to MaxLimit is a 400 naming
// limit. The cursor is returned as sent (only its length is checked); the
// service decodes it with DecodeCursor into its own key type.
func ParsePage(r *http.Request) (Page, error) {
	q := r.URL.Query()
	page := Page{Limit: DefaultLimit, Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			msg := fmt.Sprintf("must be an integer from 1 to %d", MaxLimit)
			p := BadRequest("query parameter limit " + msg)
			p.Errors = []FieldError{{Field: "limit", Message: msg}}
			return Page{}, p
		}
		page.Limit = n
	}
	if len(page.Cursor) > maxCursorLen {
		return Page{}, badCursor()
	}
	return page, nil
}

// EncodeCursor returns v (the sort key of the last item served) as an
// opaque, URL-safe cursor: base64url of its JSON. A cursor is not signed: it
// is a position, never an authorisation, so services still scope every query
// to the caller. v must be JSON-marshallable (plain fields); a value that is
// not is a programming error and panics.
func EncodeCursor(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("httpapi.EncodeCursor: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParsePageAfter is ParsePage with the cursor decoded into after, which is
// left as it is on the first page.
func ParsePageAfter(r *http.Request, after any) (Page, error) {
	page, err := ParsePage(r)
	if err != nil {
		return Page{}, err
	}
	if err := DecodeCursor(page.Cursor, after); err != nil {
		return Page{}, err
	}
	return page, nil
}

// DecodeCursor reads a cursor made by EncodeCursor into v (a pointer). A
// cursor that was not made by EncodeCursor for this type is a 400 naming
// cursor. An empty s leaves v untouched and returns nil: the first page.
func DecodeCursor(s string, v any) error {
	if s == "" {
		return nil
	}
	if len(s) > maxCursorLen {
		return badCursor()
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return badCursor()
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badCursor()
	}
	if dec.More() {
		return badCursor()
	}
	return nil
}

func badCursor() *Problem {
	const msg = "is not a cursor from a previous page of this list"
	p := BadRequest("query parameter cursor " + msg)
	p.Errors = []FieldError{{Field: "cursor", Message: msg}}
	return p
}

// List is the body of every list answer: {"items": [...], "next_cursor":
// "..."}. next_cursor is absent on the last page. Items is always sent as an
// array, [] when empty, never null.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// NewList returns a List of items (nil becomes empty) with the cursor of the
// next page ("" on the last page).
func NewList[T any](items []T, nextCursor string) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, NextCursor: nextCursor}
}

// MarshalJSON keeps the [] guarantee for a List built without NewList.
func (l List[T]) MarshalJSON() ([]byte, error) {
	type wire List[T] // same fields, without this method
	if l.Items == nil {
		l.Items = []T{}
	}
	return json.Marshal(wire(l))
}

// Paginate trims items, fetched with a limit of page size + 1, to the page
// and returns the cursor of the next page: empty when this is the last one,
// otherwise the encoded position of the page's last item (cursorOf).
func Paginate[T any](items []T, limit int, cursorOf func(last T) any) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, EncodeCursor(cursorOf(items[len(items)-1]))
}
