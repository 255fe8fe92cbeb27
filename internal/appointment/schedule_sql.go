package appointment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/platform/store"
)

// spanRow is a Span as the time_off and busy columns keep it.
type spanRow struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

func spansJSON(spans []span) (string, error) {
	rows := make([]spanRow, len(spans))
	for i, s := range spans {
		rows[i] = spanRow{s.Start.UTC(), s.End.UTC()}
	}
	b, err := json.Marshal(rows)
	return string(b), err
}

func spansOf(raw string) ([]span, error) {
	var rows []spanRow
	if err := json.Unmarshal([]byte(raw), &rows); err != nil {
		return nil, err
	}
	out := make([]span, len(rows))
	for i, r := range rows {
		out[i] = span{r.Start.UTC(), r.End.UTC()}
	}
	return out, nil
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readSchedule(ctx context.Context, q queryRower, realtorID string) (schedule, error) {
	var (
		s           schedule
		off, busy   string
		sAt, bAt    store.Time
		errNotThere = sql.ErrNoRows
	)
	err := q.QueryRowContext(ctx, `SELECT time_zone, max_per_day, time_off, schedule_at, busy, busy_at FROM realtor_schedules WHERE id = $1`,
		realtorID).Scan(&s.TimeZone, &s.MaxPerDay, &off, &sAt, &busy, &bAt)
	if errors.Is(err, errNotThere) {
		return schedule{}, nil
	}
	if err != nil {
		return schedule{}, fmt.Errorf("read schedule of %s: %w", realtorID, err)
	}
	if s.TimeOff, err = spansOf(off); err != nil {
		return schedule{}, fmt.Errorf("read time off of %s: %w", realtorID, err)
	}
	if s.Busy, err = spansOf(busy); err != nil {
		return schedule{}, fmt.Errorf("read busy blocks of %s: %w", realtorID, err)
	}
	s.ScheduleAt, s.BusyAt = sAt.Time.UTC(), bAt.Time.UTC()
	return s, nil
}

// admits checks, under the realtor's lock, that their schedule admits
// [start, end): not off or busy, and under the cap on its local day,
// counting their holds and bookings that start that day except the
// booking of exceptTour (which the new one replaces).
func admits(ctx context.Context, tx *sql.Tx, realtorID string, start, end time.Time, exceptTour string) error {
	s, err := readSchedule(ctx, tx, realtorID)
	if err != nil {
		return err
	}
	n := 0
	if s.MaxPerDay > 0 {
		from, to := s.Day(start)
		err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM appointments WHERE realtor_id = $1 AND status <> 'released'
			AND starts_at >= $2 AND starts_at < $3 AND NOT (tour_id = $4 AND status IN ('scheduled', 'confirmed'))`,
			realtorID, from, to, exceptTour).Scan(&n)
		if err != nil {
			return fmt.Errorf("count the day's tours of %s: %w", realtorID, err)
		}
	}
	return s.Admits(start, end, n)
}

// SetSchedule implements Store.
func (s *SQLStore) SetSchedule(ctx context.Context, realtorID string, sch schedule, check bool, now time.Time) error {
	off, err := spansJSON(sch.TimeOff)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.LockKey(ctx, tx, "realtor:"+realtorID); err != nil {
			return err
		}
		cur, err := readSchedule(ctx, tx, realtorID)
		if err != nil {
			return err
		}
		if cur.ScheduleAt.After(sch.ScheduleAt) {
			return nil
		}
		if check {
			active, err := s.activeOf(ctx, tx, realtorID, now)
			if err != nil {
				return err
			}
			if covered := sch.Covered(active); len(covered) > 0 {
				return &ScheduleConflict{Tours: covered}
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO realtor_schedules (id, time_zone, max_per_day, time_off, schedule_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO UPDATE SET time_zone = excluded.time_zone, max_per_day = excluded.max_per_day,
			time_off = excluded.time_off, schedule_at = excluded.schedule_at`,
			realtorID, sch.TimeZone, sch.MaxPerDay, off, sch.ScheduleAt.UTC())
		return err
	})
}

// activeOf returns the realtor's holds and bookings that end after now.
func (s *SQLStore) activeOf(ctx context.Context, tx *sql.Tx, realtorID string, now time.Time) ([]appointment, error) {
	return activeBetween(ctx, tx, realtorID, now, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
}

// Agenda implements Store.
func (s *SQLStore) Agenda(ctx context.Context, realtorID string, from, to time.Time) ([]appointment, error) {
	return activeBetween(ctx, s.db, realtorID, from, to)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// activeBetween returns the realtor's holds and bookings that overlap
// [from, to), by start.
func activeBetween(ctx context.Context, q querier, realtorID string, from, to time.Time) ([]appointment, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+apptColumns+` FROM appointments WHERE realtor_id = $1 AND status <> 'released'
		AND ends_at > $2 AND starts_at < $3 ORDER BY starts_at`, realtorID, from.UTC(), to.UTC())
	return store.ScanAll(rows, err, scanAppointment)
}

// SetBusy implements Store.
func (s *SQLStore) SetBusy(ctx context.Context, realtorID string, busy []span, at time.Time) error {
	raw, err := spansJSON(busy)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.LockKey(ctx, tx, "realtor:"+realtorID); err != nil {
			return err
		}
		cur, err := readSchedule(ctx, tx, realtorID)
		if err != nil {
			return err
		}
		if cur.BusyAt.After(at) {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO realtor_schedules (id, busy, busy_at) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET busy = excluded.busy, busy_at = excluded.busy_at`, realtorID, raw, at.UTC())
		return err
	})
}

// Schedule implements Store.
func (s *SQLStore) Schedule(ctx context.Context, realtorID string) (schedule, error) {
	return readSchedule(ctx, s.db, realtorID)
}
