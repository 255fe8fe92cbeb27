-- +goose Up
-- A realtor's working profile; one row per realtor once they set it.
CREATE TABLE realtor_profiles (
    user_id           TEXT PRIMARY KEY REFERENCES users (id),
    lat               DOUBLE PRECISION,
    lng               DOUBLE PRECISION,
    service_radius_km DOUBLE PRECISION NOT NULL DEFAULT 0,
    time_zone         TEXT NOT NULL DEFAULT 'UTC',
    working_hours     TEXT NOT NULL DEFAULT '[]',
    availability      TEXT NOT NULL DEFAULT 'unavailable' CHECK (availability IN ('available', 'unavailable')),
    updated_at        {{.Timestamp}} NOT NULL
);

-- Token signing keys. retire_at is NULL for the current key.
CREATE TABLE signing_keys (
    id          TEXT PRIMARY KEY,
    private_key {{.Bytes}} NOT NULL,
    created_at  {{.Timestamp}} NOT NULL,
    retire_at   {{.Timestamp}}
);

-- What other services told iam about each user (their listings, payments,
-- appointments, notifications), shown in GET /iam/me. One row per thing,
-- replaced by newer news of it.
CREATE TABLE user_records (
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('listing', 'payment', 'appointment', 'notification')),
    ref_id     TEXT NOT NULL,
    summary    TEXT NOT NULL,
    changed_at {{.Timestamp}} NOT NULL,
    PRIMARY KEY (user_id, kind, ref_id)
);
CREATE INDEX user_records_recent ON user_records (user_id, kind, changed_at);

-- +goose Down
DROP TABLE user_records;
DROP TABLE signing_keys;
DROP TABLE realtor_profiles;
