-- +goose Up
-- The tours waiting for, or holding, an assignment.
CREATE TABLE requests (
    tour_id       TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    starts_at     {{.Timestamp}} NOT NULL,
    ends_at       {{.Timestamp}} NOT NULL,
    version       INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('assigning', 'assigned', 'waiting', 'closed')),
    details       TEXT NOT NULL,
    waiting_since {{.Timestamp}},
    updated_at    {{.Timestamp}} NOT NULL
);
CREATE INDEX requests_waiting ON requests (state, waiting_since);

-- Appointments are the source of truth of realtors' bookings. Writes take
-- a per-realtor lock and check for overlaps (with the travel buffer) in the
-- same transaction; a tour has at most one active appointment.
CREATE TABLE appointments (
    id             TEXT PRIMARY KEY,
    tour_id        TEXT NOT NULL,
    realtor_id     TEXT NOT NULL,
    customer_id    TEXT NOT NULL,
    starts_at      {{.Timestamp}} NOT NULL,
    ends_at        {{.Timestamp}} NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('scheduled', 'confirmed', 'released')),
    release_reason TEXT NOT NULL DEFAULT '',
    listing_ids    TEXT NOT NULL,
    created_at     {{.Timestamp}} NOT NULL,
    updated_at     {{.Timestamp}} NOT NULL
);
CREATE UNIQUE INDEX appointments_one_per_tour ON appointments (tour_id) WHERE status <> 'released';
CREATE INDEX appointments_realtor ON appointments (realtor_id, starts_at);
CREATE INDEX appointments_list ON appointments (created_at, id);

-- +goose Down
DROP TABLE appointments;
DROP TABLE requests;
