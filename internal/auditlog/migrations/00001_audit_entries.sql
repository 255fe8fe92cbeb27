-- +goose Up
-- The audit log of every service: one row per audited action, its id the
-- id of the audit event that carried it (a redelivery inserts nothing).
-- before_state and after_state are JSON objects (or 'null').
--
-- The table was iam's (its migration 00003) until the log left the iam
-- package. The log runs in iam's database, so there it finds the table
-- with the entries kept so far and adopts it (IF NOT EXISTS), and a new
-- database gets the same table either way. Down leaves it to iam's
-- migrations, which created it first.
CREATE TABLE IF NOT EXISTS audit_entries (
    id            TEXT PRIMARY KEY,
    service       TEXT NOT NULL,
    actor_id      TEXT NOT NULL,
    actor_role    TEXT NOT NULL,
    actor_service TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    before_state  TEXT NOT NULL,
    after_state   TEXT NOT NULL,
    at            {{.Timestamp}} NOT NULL,
    request_id    TEXT NOT NULL,
    trace_id      TEXT NOT NULL
);
-- Newest first, overall and within each filter admins use.
CREATE INDEX IF NOT EXISTS audit_entries_at ON audit_entries (at, id);
CREATE INDEX IF NOT EXISTS audit_entries_actor ON audit_entries (actor_id, at);
CREATE INDEX IF NOT EXISTS audit_entries_resource ON audit_entries (resource_type, resource_id, at);
CREATE INDEX IF NOT EXISTS audit_entries_action ON audit_entries (action, at);

-- +goose Down
SELECT 1;
