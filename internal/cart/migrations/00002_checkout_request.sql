-- +goose Up
-- The request a checkout was started with, so that any request may finish
-- a checkout whose own request died (a cart checks out once, whatever the
-- keys), and the index that finds a customer's unfinished checkout.
ALTER TABLE checkouts ADD COLUMN request TEXT NOT NULL DEFAULT '';
CREATE INDEX checkouts_unfinished ON checkouts (customer_id, state);

-- +goose Down
DROP INDEX checkouts_unfinished;
ALTER TABLE checkouts DROP COLUMN request;
