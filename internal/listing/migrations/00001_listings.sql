-- +goose Up
-- providers is listing's view of provider accounts, kept from iam's events
-- (user registered, verified, status changed). Each attribute remembers the
-- time of the event that set it, so an older event never overwrites a newer.
CREATE TABLE providers (
    id          TEXT PRIMARY KEY,
    verified    BOOLEAN NOT NULL,
    verified_at {{.Timestamp}} NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('', 'active', 'suspended')),
    status_at   {{.Timestamp}} NOT NULL
);

CREATE TABLE listings (
    id                TEXT PRIMARY KEY,
    provider_id       TEXT NOT NULL,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    line1             TEXT NOT NULL,
    city              TEXT NOT NULL,
    region            TEXT NOT NULL,
    postal_code       TEXT NOT NULL,
    country           TEXT NOT NULL,
    lat               DOUBLE PRECISION NOT NULL,
    lng               DOUBLE PRECISION NOT NULL,
    price_amount      BIGINT NOT NULL,
    price_currency    TEXT NOT NULL,
    bedrooms          INTEGER NOT NULL,
    bathrooms         INTEGER NOT NULL,
    tour_fee_amount   BIGINT NOT NULL,
    tour_fee_currency TEXT NOT NULL,
    time_zone         TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('active', 'deleted')),
    -- false while the provider is suspended; set by the provider events
    provider_active   BOOLEAN NOT NULL,
    -- city and title/description/city lower-cased by Go (SQLite's lower()
    -- folds only ASCII), for the city and q filters
    city_key          TEXT NOT NULL,
    search_text       TEXT NOT NULL,
    created_at        {{.Timestamp}} NOT NULL,
    updated_at        {{.Timestamp}} NOT NULL
);

-- Search reads only visible listings; the partial indexes hold only those,
-- and the queries repeat the predicate word for word so both planners use
-- them.
--
-- Radius search: a range on lat, then lng checked inside the index. The
-- prefilter reads id, lat and lng only, so with id in the key it reads no
-- table rows. status and provider_active are in the key only because
-- SQLite re-checks the predicate's columns and would otherwise visit the
-- table for each candidate.
CREATE INDEX listings_geo ON listings (lat, lng, id, status, provider_active)
    WHERE status = 'active' AND provider_active;
-- Newest first, keyset-paginated on (created_at, id).
CREATE INDEX listings_recent ON listings (created_at, id)
    WHERE status = 'active' AND provider_active;
CREATE INDEX listings_city ON listings (city_key, created_at, id)
    WHERE status = 'active' AND provider_active;
-- A suspension hides every listing of the provider.
CREATE INDEX listings_provider ON listings (provider_id);

-- +goose Down
DROP TABLE listings;
DROP TABLE providers;
