-- +goose Up

-- Each user's choices: external channels per kind of message (JSON
-- {topic: [channel]}), their own reminder offsets (JSON seconds, '' for the
-- global ones), quiet hours (HH:MM, '' for none) and the zone they are in.
CREATE TABLE preferences (
    user_id          TEXT PRIMARY KEY,
    channels         TEXT NOT NULL,
    reminder_offsets TEXT NOT NULL DEFAULT '',
    quiet_start      TEXT NOT NULL DEFAULT '',
    quiet_end        TEXT NOT NULL DEFAULT '',
    time_zone        TEXT NOT NULL DEFAULT '',
    updated_at       {{.Timestamp}} NOT NULL
);

-- Mobile numbers for SMS: E.164, usable once verified by a one-time code
-- (only its keyed hash is kept) and until the user texts STOP.
CREATE TABLE phones (
    user_id         TEXT PRIMARY KEY,
    number          TEXT NOT NULL,
    verified_at     {{.Timestamp}},
    opted_out_at    {{.Timestamp}},
    code_hash       TEXT NOT NULL DEFAULT '',
    code_expires_at {{.Timestamp}},
    attempts        INTEGER NOT NULL DEFAULT 0,
    updated_at      {{.Timestamp}} NOT NULL
);
CREATE INDEX phones_number ON phones (number);

-- +goose Down
DROP TABLE phones;
DROP TABLE preferences;
