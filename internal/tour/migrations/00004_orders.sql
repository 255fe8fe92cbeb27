-- +goose Up
-- Cart orders on their way to becoming tours: the order as the cart placed
-- it, and its payment once it succeeded (the two events come from two
-- streams, in either order). A tour is made, once, when both are known.
CREATE TABLE orders (
    id          TEXT PRIMARY KEY,
    placed      TEXT NOT NULL DEFAULT '',
    payment_id  TEXT NOT NULL DEFAULT '',
    paid_amount BIGINT NOT NULL DEFAULT 0,
    paid_currency TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL CHECK (state IN ('open', 'toured', 'failed')),
    updated_at  {{.Timestamp}} NOT NULL
);
CREATE INDEX orders_open ON orders (state, updated_at);

-- +goose Down
DROP TABLE orders;
