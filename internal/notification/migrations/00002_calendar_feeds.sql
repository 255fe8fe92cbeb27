-- +goose Up

-- Whose feed each calendar token opens, kept from iam's
-- calendar_token_issued events: only the hash of the token, and only the
-- newest generation per user (older URLs then find nothing).
CREATE TABLE feed_tokens (
    user_id    TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    generation INTEGER NOT NULL,
    updated_at {{.Timestamp}} NOT NULL
);

-- Homes' titles and addresses, kept from the listing events, for the
-- feeds' locations.
CREATE TABLE places (
    listing_id  TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL,
    title       TEXT NOT NULL,
    address     TEXT NOT NULL,
    updated_at  {{.Timestamp}} NOT NULL
);

-- Who takes part in each tour, as what (customer, realtor, provider): the
-- index of the feeds. A party the tour no longer names (a realtor after a
-- reassignment) stays, inactive, so their feed shows it cancelled.
CREATE TABLE tour_parties (
    tour_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    role       TEXT NOT NULL,
    active     BOOLEAN NOT NULL,
    changed_at {{.Timestamp}} NOT NULL,
    PRIMARY KEY (tour_id, user_id)
);
CREATE INDEX tour_parties_user ON tour_parties (user_id, changed_at);

-- +goose Down
DROP TABLE tour_parties;
DROP TABLE places;
DROP TABLE feed_tokens;
