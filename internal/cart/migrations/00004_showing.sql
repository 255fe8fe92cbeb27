-- +goose Up
-- The home's showing rules as the cart last saw them (events.Showing as
-- JSON): slots and checkout apply them, and the order carries them.
ALTER TABLE cart_items ADD COLUMN showing TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE cart_items DROP COLUMN showing;
