-- +goose Up
-- listing_access holds each home's access instructions (door or lockbox
-- code and how to get in), sealed with AES-256-GCM under the deployment's
-- secrets key and bound to the listing id: a copy of this database alone
-- opens nothing. No row: no access set.
CREATE TABLE listing_access (
    listing_id TEXT PRIMARY KEY,
    sealed     {{.Bytes}} NOT NULL,
    updated_at {{.Timestamp}} NOT NULL
);

-- +goose Down
DROP TABLE listing_access;
