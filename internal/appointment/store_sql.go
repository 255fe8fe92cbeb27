package appointment

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/bus"
	"github.com/openhouse/openhouse/internal/platform/outbox"
	"github.com/openhouse/openhouse/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SQLStore is the Store on SQLite or PostgreSQL.
type SQLStore struct {
	db  *store.DB
	now func() time.Time
}

// NewSQLStore migrates db and returns a store on it.
func NewSQLStore(ctx context.Context, db *store.DB, now func() time.Time) (*SQLStore, error) {
	if err := db.Migrate(ctx, "appointment", migrationFiles, "migrations"); err != nil {
		return nil, err
	}
	return &SQLStore{db: db, now: now}, nil
}

type requestDetails struct {
	ListingIDs []string          `json:"listing_ids"`
	Stops      []events.GeoPoint `json:"stops"`
	Declined   []string          `json:"declined"`
	HoldID     string            `json:"hold_id,omitempty"`
}

const requestColumns = `tour_id, customer_id, starts_at, ends_at, version, state, details, waiting_since, updated_at`

func scanRequest(row store.Scanner) (request, error) {
	var (
		r       request
		raw     string
		waiting store.Time
		d       requestDetails
	)
	err := row.Scan(&r.TourID, &r.CustomerID, &r.StartsAt, &r.EndsAt, &r.Version, &r.State, &raw, &waiting, &r.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return request{}, errNotFound
	}
	if err != nil {
		return request{}, fmt.Errorf("read request: %w", err)
	}
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return request{}, err
	}
	r.ListingIDs, r.Stops, r.Declined, r.HoldID = d.ListingIDs, d.Stops, d.Declined, d.HoldID
	if waiting.Valid {
		r.WaitingSince = waiting.Time.UTC()
	}
	r.StartsAt, r.EndsAt, r.UpdatedAt = r.StartsAt.UTC(), r.EndsAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

func saveRequest(ctx context.Context, tx *sql.Tx, r request) error {
	raw, err := json.Marshal(requestDetails{ListingIDs: r.ListingIDs, Stops: r.Stops, Declined: r.Declined, HoldID: r.HoldID})
	if err != nil {
		return err
	}
	var waiting any
	if !r.WaitingSince.IsZero() {
		waiting = r.WaitingSince.UTC()
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO requests (`+requestColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (tour_id) DO UPDATE SET customer_id = excluded.customer_id, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
		version = excluded.version, state = excluded.state, details = excluded.details, waiting_since = excluded.waiting_since, updated_at = excluded.updated_at`,
		r.TourID, r.CustomerID, r.StartsAt.UTC(), r.EndsAt.UTC(), r.Version, r.State, string(raw), waiting, r.UpdatedAt.UTC())
	if err != nil {
		return fmt.Errorf("save request: %w", err)
	}
	return nil
}

const apptColumns = `id, tour_id, realtor_id, customer_id, starts_at, ends_at, status, release_reason, listing_ids, created_at, updated_at, expires_at`

func scanAppointment(row store.Scanner) (appointment, error) {
	var (
		a       appointment
		ids     string
		expires store.Time
	)
	err := row.Scan(&a.ID, &a.TourID, &a.RealtorID, &a.CustomerID, &a.StartsAt, &a.EndsAt, &a.Status, &a.ReleaseReason, &ids, &a.CreatedAt, &a.UpdatedAt, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return appointment{}, errNotFound
	}
	if err != nil {
		return appointment{}, fmt.Errorf("read appointment: %w", err)
	}
	a.StartsAt, a.EndsAt, a.CreatedAt, a.UpdatedAt = a.StartsAt.UTC(), a.EndsAt.UTC(), a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	if expires.Valid {
		a.ExpiresAt = expires.Time.UTC()
	}
	return a, json.Unmarshal([]byte(ids), &a.ListingIDs)
}

// saveAppointment writes back what a change may alter: the status, why it
// was released, and for a hold booked, the tour it now belongs to.
func saveAppointment(ctx context.Context, tx *sql.Tx, a appointment) error {
	ids, err := json.Marshal(a.ListingIDs)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE appointments SET status = $1, release_reason = $2, updated_at = $3, tour_id = $4,
		customer_id = $5, listing_ids = $6, expires_at = $7 WHERE id = $8`,
		a.Status, a.ReleaseReason, a.UpdatedAt.UTC(), a.TourID, a.CustomerID, string(ids), nullTime(a.ExpiresAt), a.ID)
	if err != nil {
		return fmt.Errorf("save appointment %s: %w", a.ID, err)
	}
	return nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func insertAppointment(ctx context.Context, tx *sql.Tx, a appointment) error {
	ids, err := json.Marshal(a.ListingIDs)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO appointments (`+apptColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		a.ID, a.TourID, a.RealtorID, a.CustomerID, a.StartsAt.UTC(), a.EndsAt.UTC(), a.Status, a.ReleaseReason, string(ids),
		a.CreatedAt.UTC(), a.UpdatedAt.UTC(), nullTime(a.ExpiresAt))
	return err
}

// clashes reports whether the realtor holds anything active that overlaps
// [start, end) widened by buffer, besides the booking of exceptTour (a
// tour's new time may overlap its old one); call it under the realtor's
// lock.
func clashes(ctx context.Context, tx *sql.Tx, realtorID string, start, end time.Time, buffer time.Duration, exceptTour string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointments WHERE realtor_id = $1 AND status <> 'released'
		AND starts_at < $2 AND ends_at > $3 AND NOT (tour_id = $4 AND status IN ('scheduled', 'confirmed'))`,
		realtorID, end.Add(buffer).UTC(), start.Add(-buffer).UTC(), exceptTour).Scan(&n)
	return n > 0, err
}

func (s *SQLStore) lockTour(ctx context.Context, tx *sql.Tx, tourID string) (request, *appointment, error) {
	if err := s.db.LockKey(ctx, tx, "tour:"+tourID); err != nil {
		return request{}, nil, err
	}
	r, err := scanRequest(tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM requests WHERE tour_id = $1`, tourID))
	if errors.Is(err, errNotFound) {
		r, err = request{TourID: tourID}, nil
	}
	if err != nil {
		return request{}, nil, err
	}
	a, err := scanAppointment(tx.QueryRowContext(ctx, `SELECT `+apptColumns+` FROM appointments WHERE tour_id = $1 AND status IN ('scheduled', 'confirmed')`, tourID))
	if errors.Is(err, errNotFound) {
		return r, nil, nil
	}
	if err != nil {
		return request{}, nil, err
	}
	return r, &a, nil
}

// ChangeRequest implements Store.
func (s *SQLStore) ChangeRequest(ctx context.Context, eventID, tourID string, change func(r *request, active *appointment) ([]bus.Event, error)) error {
	return outbox.Once(ctx, s.db, "appointment.request", eventID, s.now, func(tx *sql.Tx) error {
		r, active, err := s.lockTour(ctx, tx, tourID)
		if err != nil {
			return err
		}
		evs, err := change(&r, active)
		if err != nil {
			return err
		}
		if r.State != "" {
			if err := saveRequest(ctx, tx, r); err != nil {
				return err
			}
		}
		if active != nil {
			if err := saveAppointment(ctx, tx, *active); err != nil {
				return err
			}
		}
		return outbox.AddAll(ctx, tx, evs)
	})
}

// Request implements Store.
func (s *SQLStore) Request(ctx context.Context, tourID string) (request, error) {
	return scanRequest(s.db.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM requests WHERE tour_id = $1`, tourID))
}

// Pending implements Store.
func (s *SQLStore) Pending(ctx context.Context, stuckBefore time.Time, limit int) ([]request, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+requestColumns+` FROM requests
		WHERE state = 'waiting' OR (state = 'assigning' AND updated_at < $1) ORDER BY updated_at LIMIT $2`, stuckBefore.UTC(), limit)
	return store.ScanAll(rows, err, scanRequest)
}

// Book implements Store. The per-realtor lock makes "check for overlap,
// then insert" atomic on both engines, so no interleaving of assignment
// rounds, instances or retries can book a realtor twice.
func (s *SQLStore) Book(ctx context.Context, a appointment, version int, buffer time.Duration, evs ...bus.Event) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, active, err := s.lockTour(ctx, tx, a.TourID)
		if err != nil {
			return err
		}
		if active != nil || r.Version != version || r.State == closed || r.State == assigned || r.State == "" {
			return errTourTaken
		}
		if err := s.db.LockKey(ctx, tx, "realtor:"+a.RealtorID); err != nil {
			return err
		}
		if clash, err := clashes(ctx, tx, a.RealtorID, a.StartsAt, a.EndsAt, buffer, ""); err != nil || clash {
			if err == nil {
				err = errDoubleBooking
			}
			return err
		}
		if err := admits(ctx, tx, a.RealtorID, a.StartsAt, a.EndsAt, ""); err != nil {
			return err
		}
		if err := insertAppointment(ctx, tx, a); err != nil {
			if errors.Is(s.db.Translate(err), store.ErrConflict) {
				return errTourTaken
			}
			return err
		}
		r.State, r.WaitingSince, r.UpdatedAt = assigned, time.Time{}, a.CreatedAt
		if err := saveRequest(ctx, tx, r); err != nil {
			return err
		}
		return outbox.AddAll(ctx, tx, evs)
	})
}

// MarkWaiting implements Store.
func (s *SQLStore) MarkWaiting(ctx context.Context, tourID string, version int, now time.Time, evs ...bus.Event) (bool, error) {
	moved := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, active, err := s.lockTour(ctx, tx, tourID)
		if err != nil {
			return err
		}
		if active != nil || r.Version != version || r.State != assigning {
			return nil
		}
		r.State, r.WaitingSince, r.UpdatedAt = waiting, now.UTC(), now.UTC()
		if err := saveRequest(ctx, tx, r); err != nil {
			return err
		}
		moved = true
		return outbox.AddAll(ctx, tx, evs)
	})
	return moved, err
}

// Stats implements Store. Each realtor is two lookups of bounded cost
// (appointments_realtor_latest for the latest, appointments_realtor for the
// week), whatever the length of their history.
func (s *SQLStore) Stats(ctx context.Context, realtorIDs []string, weekStart, weekEnd time.Time) (map[string]Candidate, error) {
	out := map[string]Candidate{}
	if len(realtorIDs) == 0 {
		return out, nil
	}
	args := []any{weekStart.UTC(), weekEnd.UTC()}
	selects := make([]string, len(realtorIDs))
	for i, id := range realtorIDs {
		args = append(args, id)
		mark := fmt.Sprintf("$%d", i+3)
		selects[i] = `SELECT CAST(` + mark + ` AS TEXT),
			(SELECT MAX(created_at) FROM appointments WHERE realtor_id = ` + mark + ` AND status <> 'released'),
			(SELECT COUNT(*) FROM appointments WHERE realtor_id = ` + mark + ` AND starts_at >= $1 AND starts_at < $2 AND status <> 'released')`
	}
	rows, err := s.db.QueryContext(ctx, strings.Join(selects, " UNION ALL "), args...)
	if err != nil {
		return nil, fmt.Errorf("realtor stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c    Candidate
			last store.Time
			week int
		)
		if err := rows.Scan(&c.RealtorID, &last, &week); err != nil {
			return nil, fmt.Errorf("realtor stats: %w", err)
		}
		if !last.Valid {
			continue // never booked, or only released: no history, as before
		}
		c.LastBooked, c.WeekBookings = last.Time.UTC(), week
		out[c.RealtorID] = c
	}
	return out, rows.Err()
}

// Appointment implements Store.
func (s *SQLStore) Appointment(ctx context.Context, id string) (appointment, error) {
	return scanAppointment(s.db.QueryRowContext(ctx, `SELECT `+apptColumns+` FROM appointments WHERE id = $1`, id))
}

// ChangeAppointment implements Store.
func (s *SQLStore) ChangeAppointment(ctx context.Context, id string, change func(a *appointment, r *request) ([]bus.Event, error)) (appointment, error) {
	var out appointment
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		a, err := scanAppointment(tx.QueryRowContext(ctx, `SELECT `+apptColumns+` FROM appointments WHERE id = $1`, id))
		if err != nil {
			return err
		}
		r, _, err := s.lockTour(ctx, tx, a.TourID)
		if err != nil {
			return err
		}
		// Re-read under the tour's lock.
		if a, err = scanAppointment(tx.QueryRowContext(ctx, `SELECT `+apptColumns+` FROM appointments WHERE id = $1`, id)); err != nil {
			return err
		}
		evs, err := change(&a, &r)
		if err != nil {
			return err
		}
		if err := saveAppointment(ctx, tx, a); err != nil {
			return err
		}
		if r.State != "" {
			if err := saveRequest(ctx, tx, r); err != nil {
				return err
			}
		}
		out = a
		return outbox.AddAll(ctx, tx, evs)
	})
	return out, err
}

// List implements Store.
func (s *SQLStore) List(ctx context.Context, f filter, after cursor, limit int) ([]appointment, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.RealtorID != "" {
		where = append(where, "realtor_id = "+arg(f.RealtorID))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if after.ID != "" {
		c, i := arg(after.CreatedAt.UTC()), arg(after.ID)
		where = append(where, "(created_at < "+c+" OR (created_at = "+c+" AND id < "+i+"))")
	}
	q := `SELECT ` + apptColumns + ` FROM appointments`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	return store.ScanAll(rows, err, scanAppointment)
}

// PlaceHold implements Store.
func (s *SQLStore) PlaceHold(ctx context.Context, a appointment, buffer time.Duration, limits []dayLimit, evs ...bus.Event) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.LockKey(ctx, tx, "tour:"+a.TourID); err != nil {
			return err
		}
		old, err := scanAppointment(tx.QueryRowContext(ctx, `SELECT `+apptColumns+` FROM appointments WHERE id = $1`, a.ID))
		switch {
		case err == nil && old.Active():
			return errHoldConflict
		case err == nil && old.ExpiresAt.IsZero():
			return errHoldConflict // a released booking's id, not a hold's
		case err != nil && !errors.Is(err, errNotFound):
			return err
		}
		if err := s.db.LockKey(ctx, tx, "realtor:"+a.RealtorID); err != nil {
			return err
		}
		except := "" // a tour's new time may overlap its own booking
		if a.TourID != a.ID {
			except = a.TourID
		}
		if clash, err := clashes(ctx, tx, a.RealtorID, a.StartsAt, a.EndsAt, buffer, except); err != nil || clash {
			if err == nil {
				err = errDoubleBooking
			}
			return err
		}
		if err := s.checkLimits(ctx, tx, a, limits); err != nil {
			return err
		}
		if err := admits(ctx, tx, a.RealtorID, a.StartsAt, a.EndsAt, except); err != nil {
			return err
		}
		if err == nil { // a lapsed or given-back hold, placed again
			if _, err := tx.ExecContext(ctx, `DELETE FROM appointments WHERE id = $1`, a.ID); err != nil {
				return err
			}
		}
		if err := insertAppointment(ctx, tx, a); err != nil {
			return fmt.Errorf("place hold %s: %w", a.ID, err)
		}
		return outbox.AddAll(ctx, tx, evs)
	})
}

// checkLimits refuses a (FullError) if one of its homes has its most
// showings on the day already: the held (not lapsed) and booked
// appointments of the home starting that day, the tour's own left out
// (a tour moving). Each home's lock is taken first, in id order, after the
// realtor's, so two holds of one home count one after the other and locks
// are always taken in one order.
func (s *SQLStore) checkLimits(ctx context.Context, tx *sql.Tx, a appointment, limits []dayLimit) error {
	sorted := slices.Clone(limits)
	slices.SortFunc(sorted, func(x, y dayLimit) int { return strings.Compare(x.ListingID, y.ListingID) })
	for _, l := range sorted {
		if l.Max <= 0 {
			continue
		}
		if err := s.db.LockKey(ctx, tx, "listing-day:"+l.ListingID); err != nil {
			return err
		}
		var n int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointments WHERE `+showingOf,
			listingPattern(l.ListingID), l.From.UTC(), l.To.UTC(), a.TourID, a.CreatedAt.UTC()).Scan(&n)
		if err != nil {
			return err
		}
		if n >= l.Max {
			return fullError{ListingID: l.ListingID}
		}
	}
	return nil
}

// showingOf is the condition on an appointment that counts as a showing
// of a home on a day: it visits the home ($1, listingPattern), starts in
// [$2, $3), is not of tour $4, and is booked or held past $5.
const showingOf = `listing_ids LIKE $1 ESCAPE '\' AND starts_at >= $2 AND starts_at < $3 AND tour_id <> $4
	AND (status IN ('scheduled', 'confirmed') OR (status = 'held' AND expires_at > $5))`

// listingPattern is the LIKE pattern of an appointment's listing_ids that
// holds id: the id as listing_ids spells it, quoted.
func listingPattern(id string) string {
	quoted, _ := json.Marshal(id)
	return "%" + likeEscape(string(quoted)) + "%"
}

// Showings implements Store.
func (s *SQLStore) Showings(ctx context.Context, listingIDs []string, from, to time.Time, exceptTour string, now time.Time) ([]appointment, error) {
	var out []appointment
	seen := map[string]bool{}
	for _, id := range listingIDs {
		rows, err := s.db.QueryContext(ctx, `SELECT `+apptColumns+` FROM appointments WHERE `+showingOf+` ORDER BY starts_at`,
			listingPattern(id), from.UTC(), to.UTC(), exceptTour, now.UTC())
		if err != nil {
			return nil, fmt.Errorf("showings of listing %s: %w", id, err)
		}
		for rows.Next() {
			a, err := scanAppointment(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if !seen[a.ID] {
				seen[a.ID] = true
				out = append(out, a)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(x, y appointment) int { return x.StartsAt.Compare(y.StartsAt) })
	return out, nil
}

// likeEscape makes LIKE's wildcards in s literal (the query's ESCAPE is a backslash).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// Booking implements Store.
func (s *SQLStore) Booking(ctx context.Context, tourID string) (appointment, error) {
	return scanAppointment(s.db.QueryRowContext(ctx, `SELECT `+apptColumns+` FROM appointments WHERE tour_id = $1 AND status IN ('scheduled', 'confirmed')`, tourID))
}

// BookHold implements Store.
func (s *SQLStore) BookHold(ctx context.Context, tourID, holdID string, version int, book func(hold *appointment, r *request) ([]bus.Event, error)) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, active, err := s.lockTour(ctx, tx, tourID)
		if err != nil {
			return err
		}
		if active != nil || r.Version != version || (r.State != assigning && r.State != waiting) {
			return errTourTaken
		}
		hold, err := scanAppointment(tx.QueryRowContext(ctx, `SELECT `+apptColumns+` FROM appointments WHERE id = $1`, holdID))
		if err != nil {
			return err
		}
		if hold.TourID != tourID { // another tour's hold: lock that one too
			if err := s.db.LockKey(ctx, tx, "tour:"+hold.TourID); err != nil {
				return err
			}
			if hold, err = scanAppointment(tx.QueryRowContext(ctx, `SELECT `+apptColumns+` FROM appointments WHERE id = $1`, holdID)); err != nil {
				return err
			}
		}
		evs, err := book(&hold, &r)
		if err != nil {
			return err
		}
		if err := saveAppointment(ctx, tx, hold); err != nil {
			if errors.Is(s.db.Translate(err), store.ErrConflict) {
				return errTourTaken
			}
			return err
		}
		if err := saveRequest(ctx, tx, r); err != nil {
			return err
		}
		return outbox.AddAll(ctx, tx, evs)
	})
}

// Lapsed implements Store.
func (s *SQLStore) Lapsed(ctx context.Context, now time.Time, limit int) ([]appointment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+apptColumns+` FROM appointments WHERE status = 'held' AND expires_at <= $1
		ORDER BY expires_at LIMIT $2`, now.UTC(), limit)
	return store.ScanAll(rows, err, scanAppointment)
}

// NextLapse implements Store.
func (s *SQLStore) NextLapse(ctx context.Context) (time.Time, bool, error) {
	var next store.Time
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(expires_at) FROM appointments WHERE status = 'held'`).Scan(&next); err != nil {
		return time.Time{}, false, err
	}
	return next.Time.UTC(), next.Valid, nil
}

// SetRealtor implements Store.
func (s *SQLStore) SetRealtor(ctx context.Context, eventID, realtorID string, eligible bool, at time.Time) error {
	return outbox.Once(ctx, s.db, "appointment.realtor", eventID, s.now, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO realtors (id, eligible, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET eligible = excluded.eligible, updated_at = excluded.updated_at
			WHERE realtors.updated_at <= excluded.updated_at`, realtorID, eligible, at.UTC())
		return err
	})
}

// Eligible implements Store.
func (s *SQLStore) Eligible(ctx context.Context, realtorID string) (bool, error) {
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT eligible FROM realtors WHERE id = $1`, realtorID).Scan(&ok)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return ok, err
}
