-- +goose Up
-- What other services told about each user (their listings, payments,
-- appointments, notifications), shown in GET /iam/me. One row per thing,
-- replaced by newer news of it.
--
-- The table was iam's (its migration 00002) until the records left the iam
-- package. They run in iam's database, so there they find the table with
-- the records kept so far and adopt it (IF NOT EXISTS), and a new database
-- gets the same table either way. Down leaves it to iam's migrations,
-- which created it first.
CREATE TABLE IF NOT EXISTS user_records (
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('listing', 'payment', 'appointment', 'notification')),
    ref_id     TEXT NOT NULL,
    summary    TEXT NOT NULL,
    changed_at {{.Timestamp}} NOT NULL,
    PRIMARY KEY (user_id, kind, ref_id)
);
CREATE INDEX IF NOT EXISTS user_records_recent ON user_records (user_id, kind, changed_at);

-- +goose Down
SELECT 1;
