-- +goose Up
-- Realtors' schedules: what iam says of their time off and daily cap (and
-- the zone the cap's days are counted in), and the busy blocks of their own
-- calendars. Book and PlaceHold read the row under the realtor's lock, so
-- nobody is held or booked over time off or a busy block, or past the cap.
-- time_off and busy are JSON lists of {start, end} (UTC). Each half keeps
-- the newest news by its own instant (schedule_at, busy_at).
CREATE TABLE realtor_schedules (
    id          TEXT PRIMARY KEY,
    time_zone   TEXT NOT NULL DEFAULT 'UTC',
    max_per_day INTEGER NOT NULL DEFAULT 0,
    time_off    TEXT NOT NULL DEFAULT '[]',
    schedule_at {{.Timestamp}},
    busy        TEXT NOT NULL DEFAULT '[]',
    busy_at     {{.Timestamp}}
);

-- +goose Down
DROP TABLE realtor_schedules;
