-- +goose Up
-- Tours awaiting their homes' providers (showing mode confirm): the status
-- awaiting_approval, and approval_due, the deadline the worker sweeps
-- (NULL unless the tour waits), so a request made before a restart is
-- declined after it, once. The CHECK of the status changes, which SQLite
-- cannot alter: both tables are made again (tour_stops refers to tours).
CREATE TABLE tours_v2 (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    payment_id    TEXT NOT NULL UNIQUE,
    order_id      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'awaiting_approval', 'scheduled', 'unassigned', 'cancelled', 'completed')),
    realtor_id    TEXT NOT NULL DEFAULT '',
    scheduled_at  {{.Timestamp}} NOT NULL,
    ends_at       {{.Timestamp}} NOT NULL,
    time_zone     TEXT NOT NULL,
    details       TEXT NOT NULL,
    version       INTEGER NOT NULL,
    created_at    {{.Timestamp}} NOT NULL,
    updated_at    {{.Timestamp}} NOT NULL,
    approval_due  {{.Timestamp}}
);
INSERT INTO tours_v2 (id, customer_id, payment_id, order_id, status, realtor_id, scheduled_at, ends_at, time_zone, details, version, created_at, updated_at)
    SELECT id, customer_id, payment_id, order_id, status, realtor_id, scheduled_at, ends_at, time_zone, details, version, created_at, updated_at FROM tours;
CREATE TABLE tour_stops_v2 (
    tour_id     TEXT NOT NULL REFERENCES tours_v2 (id),
    listing_id  TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    PRIMARY KEY (tour_id, listing_id)
);
INSERT INTO tour_stops_v2 (tour_id, listing_id, provider_id) SELECT tour_id, listing_id, provider_id FROM tour_stops;
DROP TABLE tour_stops;
DROP TABLE tours;
ALTER TABLE tours_v2 RENAME TO tours;
ALTER TABLE tour_stops_v2 RENAME TO tour_stops;
CREATE INDEX tours_customer ON tours (customer_id, scheduled_at, id);
CREATE INDEX tours_realtor ON tours (realtor_id, scheduled_at, id);
CREATE INDEX tours_status ON tours (status, scheduled_at, id);
CREATE INDEX tours_due ON tours (status, ends_at);
CREATE INDEX tours_order ON tours (order_id);
CREATE INDEX tours_approval_due ON tours (approval_due);
CREATE INDEX tour_stops_listing ON tour_stops (listing_id);
CREATE INDEX tour_stops_provider ON tour_stops (provider_id);

-- +goose Down
DROP INDEX tours_approval_due;
UPDATE tours SET status = 'pending' WHERE status = 'awaiting_approval';
ALTER TABLE tours DROP COLUMN approval_due;
