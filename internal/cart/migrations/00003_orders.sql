-- +goose Up
-- What an order carries of each home besides what the cart shows: whose
-- home it is and where (the tour is created from the order, without
-- calling back). And when a checkout's order was placed (its event
-- written to the outbox), so a resumed checkout goes straight to the
-- charge.
ALTER TABLE cart_items ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
ALTER TABLE cart_items ADD COLUMN address TEXT NOT NULL DEFAULT '{}';
ALTER TABLE checkouts ADD COLUMN ordered_at {{.Timestamp}};

-- +goose Down
ALTER TABLE checkouts DROP COLUMN ordered_at;
ALTER TABLE cart_items DROP COLUMN address;
ALTER TABLE cart_items DROP COLUMN provider_id;
