-- +goose Up
-- The realtors' names, so that a tour shows its customer who is coming
-- (realtor_name). Filled from iam's realtor.profile_changed events; the
-- newest change kept.
CREATE TABLE realtors (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    changed_at  {{.Timestamp}} NOT NULL
);

-- +goose Down
DROP TABLE realtors;
