package notification

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openhouse/openhouse/internal/events"
	"github.com/openhouse/openhouse/internal/platform/outbox"
)

// inbox handler names of the feed projection.
const (
	inboxFeedTokens = "notification.feed_tokens"
	inboxPlaces     = "notification.places"
)

// feedToken is whose feed a token (known by its hash) opens.
type feedToken struct {
	UserID     string
	Role       string
	Hash       string
	Generation int
	At         time.Time
}

// PutFeedToken implements Store: a token of an older generation than the
// one kept changes nothing.
func (s *SQLStore) PutFeedToken(ctx context.Context, eventID string, t feedToken) error {
	return outbox.Once(ctx, s.db, inboxFeedTokens, eventID, s.now, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO feed_tokens (user_id, token_hash, role, generation, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, role = excluded.role,
				generation = excluded.generation, updated_at = excluded.updated_at
			WHERE excluded.generation > feed_tokens.generation`,
			t.UserID, t.Hash, t.Role, t.Generation, t.At.UTC())
		if err != nil {
			return fmt.Errorf("put feed token: %w", err)
		}
		return nil
	})
}

// FeedOwner implements Store.
func (s *SQLStore) FeedOwner(ctx context.Context, hash string) (string, error) {
	var user string
	err := s.db.QueryRowContext(ctx, `SELECT user_id FROM feed_tokens WHERE token_hash = $1`, hash).Scan(&user)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errNoFeed
	}
	if err != nil {
		return "", fmt.Errorf("read feed token: %w", err)
	}
	return user, nil
}

// PutPlace implements Store; news older than what is kept changes nothing.
func (s *SQLStore) PutPlace(ctx context.Context, eventID string, p place, at time.Time) error {
	return outbox.Once(ctx, s.db, inboxPlaces, eventID, s.now, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO places (listing_id, provider_id, title, address, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (listing_id) DO UPDATE SET provider_id = excluded.provider_id, title = excluded.title,
				address = excluded.address, updated_at = excluded.updated_at
			WHERE excluded.updated_at >= places.updated_at`,
			p.ListingID, p.ProviderID, p.Title, p.Address, at.UTC())
		if err != nil {
			return fmt.Errorf("put place: %w", err)
		}
		return nil
	})
}

// writeParties keeps tour_parties in step with a tour's newest snapshot:
// every party it names is active as what it names them; any earlier party
// it no longer names becomes inactive at at.
func writeParties(ctx context.Context, tx *sql.Tx, t events.Tour, at time.Time) error {
	parties := feedParties(t)
	for user, role := range parties {
		_, err := tx.ExecContext(ctx, `INSERT INTO tour_parties (tour_id, user_id, role, active, changed_at) VALUES ($1, $2, $3, TRUE, $4)
			ON CONFLICT (tour_id, user_id) DO UPDATE SET role = excluded.role, active = TRUE, changed_at = excluded.changed_at`,
			t.TourID, user, role, at.UTC())
		if err != nil {
			return fmt.Errorf("write tour party: %w", err)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM tour_parties WHERE tour_id = $1 AND active`, t.TourID)
	if err != nil {
		return fmt.Errorf("read tour parties: %w", err)
	}
	var gone []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return err
		}
		if _, ok := parties[u]; !ok {
			gone = append(gone, u)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range gone {
		if _, err := tx.ExecContext(ctx, `UPDATE tour_parties SET active = FALSE, changed_at = $1 WHERE tour_id = $2 AND user_id = $3`,
			at.UTC(), t.TourID, u); err != nil {
			return fmt.Errorf("retire tour party: %w", err)
		}
	}
	return nil
}

// maxFeedEntries bounds one feed: the most recently changed tours.
const maxFeedEntries = 1000

// Feed implements Store: the user's entries changed since since, newest
// first, with the places and names they mention.
func (s *SQLStore) Feed(ctx context.Context, userID string, since time.Time) (feedData, error) {
	d := feedData{UserID: userID, Places: map[string]place{}, Names: map[string]string{}}
	rows, err := s.db.QueryContext(ctx, `SELECT p.role, p.active, p.changed_at, t.snapshot FROM tour_parties p
		JOIN tours t ON t.tour_id = p.tour_id WHERE p.user_id = $1 AND (p.changed_at >= $2 OR p.active)
		ORDER BY p.changed_at DESC LIMIT $3`, userID, since.UTC(), maxFeedEntries)
	if err != nil {
		return d, fmt.Errorf("read feed: %w", err)
	}
	for rows.Next() {
		var (
			e        feedEntry
			snapshot string
		)
		if err := rows.Scan(&e.Role, &e.Active, &e.ChangedAt, &snapshot); err != nil {
			rows.Close()
			return d, fmt.Errorf("read feed: %w", err)
		}
		if err := json.Unmarshal([]byte(snapshot), &e.Tour); err != nil {
			rows.Close()
			return d, fmt.Errorf("read feed: %w", err)
		}
		e.ChangedAt = e.ChangedAt.UTC()
		d.Entries = append(d.Entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, err
	}
	for _, e := range d.Entries {
		for _, st := range e.Tour.Stops {
			if _, ok := d.Places[st.ListingID]; ok {
				continue
			}
			var p place
			err := s.db.QueryRowContext(ctx, `SELECT listing_id, provider_id, title, address FROM places WHERE listing_id = $1`, st.ListingID).
				Scan(&p.ListingID, &p.ProviderID, &p.Title, &p.Address)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return d, fmt.Errorf("read place: %w", err)
			}
			d.Places[p.ListingID] = p
		}
		for _, id := range []string{e.Tour.CustomerID, e.Tour.RealtorID} {
			if _, ok := d.Names[id]; id == "" || ok {
				continue
			}
			c, err := s.Contact(ctx, id)
			if err != nil {
				return d, err
			}
			d.Names[id] = c.Name
		}
	}
	return d, nil
}
