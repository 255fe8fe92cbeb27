-- +goose Up
-- GET /tours?order_id= finds the tour of a checkout by its order.
CREATE INDEX tours_order ON tours (order_id);

-- +goose Down
DROP INDEX tours_order;
