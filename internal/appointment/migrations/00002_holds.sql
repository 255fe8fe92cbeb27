-- +goose Up
-- Holds: a realtor held for a window before a booking exists (at checkout
-- before the card is charged, or for a tour's new time before it moves).
-- A hold is an appointment row with status 'held' and an expiry, so the
-- overlap check under the per-realtor lock sees holds and bookings alike.
-- A held row's id is the hold's id; booking the tour from it turns the row
-- scheduled. Only booked rows count as the tour's one active appointment.
-- Realtors: whether each may take tours, from iam's profile events, so a
-- hold is booked only if its realtor is still eligible.
CREATE TABLE appointments_v2 (
    id             TEXT PRIMARY KEY,
    tour_id        TEXT NOT NULL,
    realtor_id     TEXT NOT NULL,
    customer_id    TEXT NOT NULL,
    starts_at      {{.Timestamp}} NOT NULL,
    ends_at        {{.Timestamp}} NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('held', 'scheduled', 'confirmed', 'released')),
    release_reason TEXT NOT NULL DEFAULT '',
    listing_ids    TEXT NOT NULL,
    created_at     {{.Timestamp}} NOT NULL,
    updated_at     {{.Timestamp}} NOT NULL,
    expires_at     {{.Timestamp}}
);
INSERT INTO appointments_v2 (id, tour_id, realtor_id, customer_id, starts_at, ends_at, status, release_reason, listing_ids, created_at, updated_at)
    SELECT id, tour_id, realtor_id, customer_id, starts_at, ends_at, status, release_reason, listing_ids, created_at, updated_at FROM appointments;
DROP TABLE appointments;
ALTER TABLE appointments_v2 RENAME TO appointments;
CREATE UNIQUE INDEX appointments_one_per_tour ON appointments (tour_id) WHERE status IN ('scheduled', 'confirmed');
CREATE INDEX appointments_realtor ON appointments (realtor_id, starts_at);
CREATE INDEX appointments_list ON appointments (created_at, id);
CREATE INDEX appointments_holds ON appointments (status, expires_at);

CREATE TABLE realtors (
    id         TEXT PRIMARY KEY,
    eligible   BOOLEAN NOT NULL,
    updated_at {{.Timestamp}} NOT NULL
);

-- +goose Down
DROP TABLE realtors;
DROP INDEX appointments_holds;
DELETE FROM appointments WHERE status = 'held';
ALTER TABLE appointments DROP COLUMN expires_at;
