-- +goose Up
-- A realtor's time off ([{start, end, reason}] as JSON, UTC instants) and
-- the most tours they take on one local day (0: no cap).
ALTER TABLE realtor_profiles ADD COLUMN time_off TEXT NOT NULL DEFAULT '[]';
ALTER TABLE realtor_profiles ADD COLUMN max_tours_per_day INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE realtor_profiles DROP COLUMN max_tours_per_day;
ALTER TABLE realtor_profiles DROP COLUMN time_off;
