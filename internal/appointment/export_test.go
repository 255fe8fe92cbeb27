package appointment

import "context"

// Overlapping returns the pairs of a realtor's bookings (scheduled or
// confirmed; holds are not bookings) that overlap: none, if the store keeps
// its promise. The contention tests check it after each round.
func (s *SQLStore) Overlapping(ctx context.Context) ([][2]appointment, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+apptColumns+` FROM appointments WHERE status IN ('scheduled', 'confirmed') ORDER BY realtor_id, starts_at`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out     [][2]appointment
		longest *appointment // of this realtor so far, the one ending last
	)
	for rows.Next() {
		a, err := scanAppointment(rows)
		if err != nil {
			return nil, err
		}
		if longest != nil && longest.RealtorID == a.RealtorID && a.StartsAt.Before(longest.EndsAt) {
			out = append(out, [2]appointment{*longest, a})
		}
		if longest == nil || longest.RealtorID != a.RealtorID || a.EndsAt.After(longest.EndsAt) {
			longest = &a
		}
	}
	return out, rows.Err()
}
