-- +goose Up
-- Realtors' own calendars (the iCalendar URL on their profile), fetched
-- every few minutes for busy times. The URL is a secret (it opens the
-- whole calendar): it is kept sealed with AES-256-GCM under the process's
-- secrets key, never in the clear. next_sync_at is the durable timer;
-- claim marks the poller round that holds the row while it fetches.
CREATE TABLE calendar_imports (
    user_id         TEXT PRIMARY KEY REFERENCES users (id),
    url_sealed      {{.Bytes}} NOT NULL,
    next_sync_at    {{.Timestamp}} NOT NULL,
    claim           TEXT NOT NULL DEFAULT '',
    failures        INTEGER NOT NULL DEFAULT 0,
    last_success_at {{.Timestamp}},
    last_error      TEXT NOT NULL DEFAULT '',
    busy_hash       TEXT NOT NULL DEFAULT '',
    updated_at      {{.Timestamp}} NOT NULL
);
CREATE INDEX calendar_imports_due ON calendar_imports (next_sync_at);

-- +goose Down
DROP TABLE calendar_imports;
