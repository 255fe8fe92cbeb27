-- +goose Up
-- The CloudEvents subject of each event (the thing it is about), so that the
-- relay can publish events about different things at once and keep the
-- events about one thing in order without decoding them. Rows written
-- before this column existed have NULL and are decoded when published.
ALTER TABLE outbox ADD COLUMN subject TEXT;

-- +goose Down
ALTER TABLE outbox DROP COLUMN subject;
