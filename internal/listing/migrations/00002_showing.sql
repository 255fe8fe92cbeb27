-- +goose Up
-- showing is the listing's showing rules (events.Showing) as JSON; '' is
-- the default, mode auto with no limits. Nothing queries inside it: slots
-- and checkout read the rules of the homes they plan.
ALTER TABLE listings ADD COLUMN showing TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE listings DROP COLUMN showing;
