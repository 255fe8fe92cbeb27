-- +goose Up
-- showings and showing_feedback are the homes' activity, kept from the
-- tour service's events: each home of each tour in the state of the
-- newest tour version heard (tour_version), and each visitor's feedback
-- anonymised (author buyer or agent), the newest (updated_at) kept.
CREATE TABLE showings (
    tour_id      TEXT NOT NULL,
    listing_id   TEXT NOT NULL,
    status       TEXT NOT NULL,
    starts_at    {{.Timestamp}} NOT NULL,
    ends_at      {{.Timestamp}} NOT NULL,
    tour_version INTEGER NOT NULL,
    PRIMARY KEY (tour_id, listing_id)
);
CREATE INDEX showings_listing ON showings (listing_id, starts_at);

CREATE TABLE showing_feedback (
    tour_id       TEXT NOT NULL,
    listing_id    TEXT NOT NULL,
    author        TEXT NOT NULL CHECK (author IN ('buyer', 'agent')),
    rating        INTEGER NOT NULL,
    interest      TEXT NOT NULL,
    price_opinion TEXT NOT NULL,
    comment       TEXT NOT NULL,
    updated_at    {{.Timestamp}} NOT NULL,
    PRIMARY KEY (tour_id, listing_id, author)
);
CREATE INDEX showing_feedback_listing ON showing_feedback (listing_id, updated_at);

-- +goose Down
DROP TABLE showing_feedback;
DROP TABLE showings;
