-- +goose Up
CREATE TABLE cart_items (
    customer_id TEXT NOT NULL,
    listing_id  TEXT NOT NULL,
    title       TEXT NOT NULL,
    fee_amount  BIGINT NOT NULL,
    fee_currency TEXT NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    lng         DOUBLE PRECISION NOT NULL,
    time_zone   TEXT NOT NULL,
    added_at    {{.Timestamp}} NOT NULL,
    PRIMARY KEY (customer_id, listing_id)
);
CREATE INDEX cart_items_listing ON cart_items (listing_id);

-- One row per checkout attempt, keyed by the customer's Idempotency-Key:
-- the request's hash, the cart as it was, and once done the answer given,
-- so a repeated request gets the same answer and pays once. A started row
-- is leased to the request working on it; an expired lease (the process
-- died) lets a retry resume it.
CREATE TABLE checkouts (
    customer_id  TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    items        TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('started', 'completed')),
    status_code  INTEGER NOT NULL DEFAULT 0,
    response     TEXT NOT NULL DEFAULT '',
    lease_until  {{.Timestamp}} NOT NULL,
    created_at   {{.Timestamp}} NOT NULL,
    PRIMARY KEY (customer_id, idem_key)
);
CREATE INDEX checkouts_created ON checkouts (created_at);

-- +goose Down
DROP TABLE checkouts;
DROP TABLE cart_items;
