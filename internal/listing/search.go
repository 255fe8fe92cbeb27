package listing

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
)

// Search limits. A radius query reads every listing in its bounding box, so
// the radius is bounded; 200 km already spans a metropolitan region.
const (
	defaultRadiusKM = 25
	maxRadiusKM     = 200
	maxQueryLen     = 200 // q, in characters
)

// query is a search over visible listings. Zero filter fields do not
// filter.
//
// With Near, results are the listings within RadiusKM of it, nearest first
// (ties by id). Without, newest first (created_at, then id, descending).
// Either order is a total order on values that never change, so a cursor
// taken from one page stays valid while listings are added: new ones sort
// either before the cursor (never seen by this walk) or after it (seen
// once), and none is seen twice.
type query struct {
	Near        *location
	RadiusKM    float64
	MinPrice    *int64 // price.amount in minor units, inclusive
	MaxPrice    *int64
	Currency    string // price.currency
	MinBedrooms int
	City        string // exact, case-insensitive
	Text        string // substring of title, description or city, case-insensitive
	Limit       int
	After       *cursor // the last hit of the previous page
}

// cursor is a position in a query's order: the sort key of the last hit
// served. Fingerprint ties it to the query it came from, so a cursor used
// with other filters is refused rather than silently skipping listings.
type cursor struct {
	Fingerprint uint32    `json:"f"`
	Near        bool      `json:"n,omitempty"`
	DistanceKM  float64   `json:"d,omitempty"`
	CreatedAt   time.Time `json:"t,omitzero"`
	ID          string    `json:"i"`
}

// hit is one search result. DistanceKM is set when the query has Near.
type hit struct {
	Listing    listing
	DistanceKM float64
}

// Fingerprint identifies the query's filters and order (not its page).
func (q query) Fingerprint() uint32 {
	h := fnv.New32a()
	if q.Near != nil {
		fmt.Fprintf(h, "near=%v,%v;r=%v;", q.Near.Lat, q.Near.Lng, q.RadiusKM)
	}
	if q.MinPrice != nil {
		fmt.Fprintf(h, "min=%d;", *q.MinPrice)
	}
	if q.MaxPrice != nil {
		fmt.Fprintf(h, "max=%d;", *q.MaxPrice)
	}
	fmt.Fprintf(h, "cur=%s;bed=%d;city=%s;q=%s", q.Currency, q.MinBedrooms, cityKey(q.City), searchKey(q.Text))
	return h.Sum32()
}

// CursorAfter is the cursor that continues q after h.
func (q query) CursorAfter(h hit) cursor {
	c := cursor{Fingerprint: q.Fingerprint(), ID: h.Listing.ID}
	if q.Near != nil {
		c.Near, c.DistanceKM = true, h.DistanceKM
	} else {
		c.CreatedAt = h.Listing.CreatedAt
	}
	return c
}

// CheckCursor reports whether c belongs to q.
func (q query) CheckCursor(c cursor) bool {
	return c.Fingerprint == q.Fingerprint() && c.Near == (q.Near != nil) && c.ID != ""
}

// candidate is a listing in a radius query's bounding box, before ranking.
type candidate struct {
	ID         string
	Location   location
	DistanceKM float64
}

// rankNearby keeps the candidates within the query's radius that come
// after its cursor, nearest first (ties by id), at most q.Limit of them,
// with DistanceKM filled in. It reorders cands.
func rankNearby(cands []candidate, q query) []candidate {
	kept := cands[:0]
	for _, c := range cands {
		c.DistanceKM = distanceKM(*q.Near, c.Location)
		if c.DistanceKM > q.RadiusKM {
			continue
		}
		if a := q.After; a != nil && (c.DistanceKM < a.DistanceKM || (c.DistanceKM == a.DistanceKM && c.ID <= a.ID)) {
			continue
		}
		kept = append(kept, c)
	}
	slices.SortFunc(kept, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.DistanceKM, b.DistanceKM), strings.Compare(a.ID, b.ID))
	})
	if len(kept) > q.Limit {
		kept = kept[:q.Limit]
	}
	return kept
}

// cityKey is the form in which cities are compared: trimmed and lower-cased
// by Go, so the comparison is the same Unicode-aware one on SQLite (whose
// lower() only folds ASCII) and PostgreSQL.
func cityKey(city string) string { return strings.ToLower(strings.TrimSpace(city)) }

// searchKey is the form in which text is matched: lower-cased by Go, like
// cityKey.
func searchKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// searchText is what q is matched against: title, description and city,
// lower-cased, separated by a character q cannot contain (line feed: the
// HTTP layer refuses control characters in q), so a match never spans two
// fields.
func searchText(d details) string {
	return searchKey(d.Title) + "\n" + searchKey(d.Description) + "\n" + cityKey(d.Address.City)
}
