-- +goose Up
CREATE TABLE tours (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    payment_id    TEXT NOT NULL UNIQUE,
    order_id      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'scheduled', 'unassigned', 'cancelled', 'completed')),
    realtor_id    TEXT NOT NULL DEFAULT '',
    scheduled_at  {{.Timestamp}} NOT NULL,
    ends_at       {{.Timestamp}} NOT NULL,
    time_zone     TEXT NOT NULL,
    details       TEXT NOT NULL,
    version       INTEGER NOT NULL,
    created_at    {{.Timestamp}} NOT NULL,
    updated_at    {{.Timestamp}} NOT NULL
);
CREATE INDEX tours_customer ON tours (customer_id, scheduled_at, id);
CREATE INDEX tours_realtor ON tours (realtor_id, scheduled_at, id);
CREATE INDEX tours_status ON tours (status, scheduled_at, id);
CREATE INDEX tours_due ON tours (status, ends_at);

-- The homes of each tour, to find the tours a removed listing or a
-- suspended provider affects.
CREATE TABLE tour_stops (
    tour_id     TEXT NOT NULL REFERENCES tours (id),
    listing_id  TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    PRIMARY KEY (tour_id, listing_id)
);
CREATE INDEX tour_stops_listing ON tour_stops (listing_id);
CREATE INDEX tour_stops_provider ON tour_stops (provider_id);

-- +goose Down
DROP TABLE tour_stops;
DROP TABLE tours;
