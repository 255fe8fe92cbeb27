-- +goose Up
-- The outbox is the service's event log. A row is written in the same
-- transaction as the state change it announces; the relay publishes it and
-- moves it from 'pending' to 'published'.
CREATE TABLE outbox (
    seq          {{.Serial}},
    event_id     TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    payload      {{.Bytes}} NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'published')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    created_at   {{.Timestamp}} NOT NULL,
    published_at {{.Timestamp}}
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE state = 'pending';
CREATE INDEX outbox_published ON outbox (published_at) WHERE state = 'published';

-- The inbox remembers which events each handler has applied, so that a
-- redelivered event changes nothing.
CREATE TABLE inbox (
    handler      TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    processed_at {{.Timestamp}} NOT NULL,
    PRIMARY KEY (handler, event_id)
);
CREATE INDEX inbox_processed ON inbox (processed_at);

-- +goose Down
DROP TABLE inbox;
DROP TABLE outbox;
