-- +goose Up

-- The address book, kept from iam events. Each field remembers when the
-- news that set it was true, so older news never overwrites newer.
CREATE TABLE contacts (
    user_id      TEXT PRIMARY KEY,
    email        TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL DEFAULT '',
    time_zone    TEXT NOT NULL DEFAULT '',
    email_at     {{.Timestamp}},
    name_at      {{.Timestamp}},
    time_zone_at {{.Timestamp}}
);

-- The newest version of each tour this service heard of, as its event
-- carried it.
CREATE TABLE tours (
    tour_id    TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    status     TEXT NOT NULL,
    snapshot   TEXT NOT NULL,
    updated_at {{.Timestamp}} NOT NULL
);

-- Inboxes: one row per notification and user.
CREATE TABLE notifications (
    id       TEXT PRIMARY KEY,
    user_id  TEXT NOT NULL,
    kind     TEXT NOT NULL,
    tour_id  TEXT NOT NULL,
    channel  TEXT NOT NULL,
    subject  TEXT NOT NULL,
    body     TEXT NOT NULL,
    send_at  {{.Timestamp}} NOT NULL,
    sent_at  {{.Timestamp}} NOT NULL,
    read_at  {{.Timestamp}}
);
CREATE INDEX notifications_inbox ON notifications (user_id, sent_at, id);

-- Durable timers. A pending reminder becomes sent, cancelled, skipped or
-- failed exactly once, in the transaction that claims it.
CREATE TABLE reminders (
    id              TEXT PRIMARY KEY,
    tour_id         TEXT NOT NULL,
    tour_version    INTEGER NOT NULL,
    user_id         TEXT NOT NULL,
    role            TEXT NOT NULL,
    offset_seconds  BIGINT NOT NULL,
    due_at          {{.Timestamp}} NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'cancelled', 'skipped', 'failed')),
    notification_id TEXT NOT NULL DEFAULT '',
    created_at      {{.Timestamp}} NOT NULL,
    done_at         {{.Timestamp}},
    UNIQUE (tour_id, tour_version, user_id, offset_seconds)
);
CREATE INDEX reminders_due ON reminders (state, due_at);
CREATE INDEX reminders_tour ON reminders (tour_id, user_id);

-- The outbox of email and webhook deliveries: sent after commit by the
-- poller, retried with backoff, given up after the last attempt.
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    user_id         TEXT NOT NULL,
    channel         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    tour_id         TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'dropped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{.Timestamp}} NOT NULL,
    claim           TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    delivered_at    {{.Timestamp}},
    created_at      {{.Timestamp}} NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_notification ON deliveries (notification_id);

-- One webhook per user. The secret signs each POST, so it is kept as given.
CREATE TABLE webhooks (
    user_id    TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at {{.Timestamp}} NOT NULL,
    updated_at {{.Timestamp}} NOT NULL
);

-- +goose Down
DROP TABLE webhooks;
DROP TABLE deliveries;
DROP TABLE reminders;
DROP TABLE notifications;
DROP TABLE tours;
DROP TABLE contacts;
