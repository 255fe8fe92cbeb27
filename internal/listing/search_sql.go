package listing

import (
	"context"
	"fmt"
	"math"
	"strings"
)

// Search implements Store.
//
// A radius query reads candidates by bounding box, from the covering index
// listings_geo: id and position only. Go computes each exact distance,
// drops those outside the circle or before the cursor, and keeps the
// nearest q.Limit; one query by primary key then reads those listings in
// full.
//
// The box does not start at the full radius. The cost of a box is the
// listings in it, and a 25 km circle in a dense city holds tens of
// thousands while a page needs twenty. So the search starts with a ring
// of nearStartKM beyond the cursor and widens it until it holds a page or
// reaches the radius: everything within the ring is read, so its nearest
// q.Limit are the nearest overall. A first page in a city costs one small
// box; a sparse area or a rare filter costs a few boxes, the last one full.
//
// Without Near, the newest-first order is answered by listings_recent (or
// listings_city) with a keyset condition on (created_at, id), so every page
// costs the same however deep.
func (s *SQLStore) Search(ctx context.Context, q query) ([]hit, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	var (
		hits []hit
		err  error
	)
	if q.Near != nil {
		hits, err = s.searchNear(ctx, q)
	} else {
		hits, err = s.searchRecent(ctx, q)
	}
	if err != nil {
		return nil, fmt.Errorf("search listings: %w", err)
	}
	return hits, nil
}

// nearStartKM is the first ring's width: in a city of ten listings per km²
// a 1 km circle holds a page of twenty.
const nearStartKM = 1.0

func (s *SQLStore) searchNear(ctx context.Context, q query) ([]hit, error) {
	from := 0.0
	if q.After != nil {
		from = q.After.DistanceKM
	}
	width := nearStartKM
	var ranked []candidate
	for {
		ring := q
		ring.RadiusKM = min(q.RadiusKM, from+width)
		cands, err := s.candidates(ctx, ring)
		if err != nil {
			return nil, err
		}
		ranked = rankNearby(cands, ring)
		if len(ranked) >= q.Limit || ring.RadiusKM >= q.RadiusKM {
			break
		}
		// Widen by at least double, more when the ring was nearly empty,
		// guessing from its density how far a page reaches.
		grow := 1.5 * math.Sqrt(float64(q.Limit)/math.Max(float64(len(ranked)), 0.5))
		width *= min(max(grow, 2), 8)
	}
	if len(ranked) == 0 {
		return nil, nil
	}
	byID, err := s.visibleByID(ctx, ranked)
	if err != nil {
		return nil, err
	}
	hits := make([]hit, 0, len(ranked))
	for _, c := range ranked {
		// A listing deleted or hidden between the two reads is left out
		// (and the page is one short).
		if l, ok := byID[c.ID]; ok {
			hits = append(hits, hit{Listing: l, DistanceKM: c.DistanceKM})
		}
	}
	return hits, nil
}

// candidates reads the id and position of every visible listing that
// passes q's filters inside the bounding box of q's circle.
func (s *SQLStore) candidates(ctx context.Context, q query) ([]candidate, error) {
	var w where
	w.filters(q)
	box := boundingBox(*q.Near, q.RadiusKM)
	w.add("lat BETWEEN " + w.arg(box.MinLat) + " AND " + w.arg(box.MaxLat))
	switch {
	case box.MinLng <= -180 && box.MaxLng >= 180:
		// the circle holds a pole: every longitude
	case box.WrapsAntimeridian:
		w.add("(lng >= " + w.arg(box.MinLng) + " OR lng <= " + w.arg(box.MaxLng) + ")")
	default:
		w.add("lng BETWEEN " + w.arg(box.MinLng) + " AND " + w.arg(box.MaxLng))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, lat, lng FROM listings WHERE `+w.sql(), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cands []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.ID, &c.Location.Lat, &c.Location.Lng); err != nil {
			return nil, err
		}
		cands = append(cands, c)
	}
	return cands, rows.Err()
}

// visibleByID reads the visible listings among the candidates.
func (s *SQLStore) visibleByID(ctx context.Context, cands []candidate) (map[string]listing, error) {
	var w where
	ids := make([]string, len(cands))
	for i, c := range cands {
		ids[i] = w.arg(c.ID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+listingColumns+` FROM listings WHERE id IN (`+
		strings.Join(ids, ", ")+`) AND `+visibleSQL, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]listing, len(cands))
	for rows.Next() {
		l, err := scanListing(rows)
		if err != nil {
			return nil, err
		}
		out[l.ID] = l
	}
	return out, rows.Err()
}

func (s *SQLStore) searchRecent(ctx context.Context, q query) ([]hit, error) {
	var w where
	w.filters(q)
	if a := q.After; a != nil {
		w.add("(created_at, id) < (" + w.arg(a.CreatedAt.UTC()) + ", " + w.arg(a.ID) + ")")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+listingColumns+` FROM listings WHERE `+w.sql()+
		` ORDER BY created_at DESC, id DESC LIMIT `+w.arg(q.Limit), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hits []hit
	for rows.Next() {
		l, err := scanListing(rows)
		if err != nil {
			return nil, err
		}
		hits = append(hits, hit{Listing: l})
	}
	return hits, rows.Err()
}

// where builds a WHERE clause with $n placeholders, which both engines
// accept. Values always travel as parameters, never in the SQL text.
type where struct {
	clauses []string
	args    []any
}

// arg adds a parameter and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

func (w *where) add(clause string) { w.clauses = append(w.clauses, clause) }

func (w *where) sql() string { return strings.Join(w.clauses, " AND ") }

// filters adds visibility and q's filters other than position and cursor.
func (w *where) filters(q query) {
	w.add(visibleSQL)
	if q.MinPrice != nil {
		w.add("price_amount >= " + w.arg(*q.MinPrice))
	}
	if q.MaxPrice != nil {
		w.add("price_amount <= " + w.arg(*q.MaxPrice))
	}
	if q.Currency != "" {
		w.add("price_currency = " + w.arg(q.Currency))
	}
	if q.MinBedrooms > 0 {
		w.add("bedrooms >= " + w.arg(q.MinBedrooms))
	}
	if city := cityKey(q.City); city != "" {
		w.add("city_key = " + w.arg(city))
	}
	if text := searchKey(q.Text); text != "" {
		w.add(`search_text LIKE ` + w.arg("%"+escapeLike(text)+"%") + ` ESCAPE '\'`)
	}
}

// likeEscaper makes %, _ and the escape character itself match literally.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func escapeLike(s string) string { return likeEscaper.Replace(s) }
