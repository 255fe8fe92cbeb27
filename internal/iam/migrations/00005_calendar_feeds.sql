-- +goose Up
-- The current calendar feed token of each user who asked for one
-- (POST /iam/me/calendar-token). Only its hash is kept; generation rises
-- with each new token, so the notification service, which serves the feed,
-- keeps the newest and the previous URL stops working.
CREATE TABLE calendar_feeds (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    token_hash TEXT NOT NULL,
    generation INTEGER NOT NULL,
    issued_at  {{.Timestamp}} NOT NULL
);

-- +goose Down
DROP TABLE calendar_feeds;
