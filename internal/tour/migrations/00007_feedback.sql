-- +goose Up
-- feedback_requests remembers who was asked for feedback on a completed
-- tour: one row per tour and person, so the request (and its event) is
-- made once across redeliveries of tour.completed and restarts.
CREATE TABLE feedback_requests (
    tour_id      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    party        TEXT NOT NULL CHECK (party IN ('customer', 'realtor')),
    requested_at {{.Timestamp}} NOT NULL,
    PRIMARY KEY (tour_id, user_id)
);

-- feedback is each author's opinion of each home of a tour: one row per
-- tour, home and author; giving it again replaces it.
CREATE TABLE feedback (
    tour_id       TEXT NOT NULL,
    listing_id    TEXT NOT NULL,
    author_id     TEXT NOT NULL,
    party         TEXT NOT NULL CHECK (party IN ('customer', 'realtor')),
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    interest      TEXT NOT NULL,
    price_opinion TEXT NOT NULL,
    comment       TEXT NOT NULL,
    created_at    {{.Timestamp}} NOT NULL,
    updated_at    {{.Timestamp}} NOT NULL,
    PRIMARY KEY (tour_id, listing_id, author_id)
);

-- +goose Down
DROP TABLE feedback;
DROP TABLE feedback_requests;
