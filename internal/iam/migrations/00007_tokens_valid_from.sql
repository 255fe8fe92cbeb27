-- +goose Up
-- Access tokens of the user issued before this instant are void (the last
-- suspension or reactivation): a reactivated user's old tokens stay dead.
-- NULL: never suspended.
ALTER TABLE users ADD COLUMN tokens_valid_from {{.Timestamp}};

-- +goose Down
ALTER TABLE users DROP COLUMN tokens_valid_from;
