-- +goose Up

-- Realtors' assignments, kept from the appointment events, so that a Y or
-- N texted back names the appointment to confirm or decline.
CREATE TABLE assignments (
    appointment_id TEXT PRIMARY KEY,
    tour_id        TEXT NOT NULL,
    realtor_id     TEXT NOT NULL,
    status         TEXT NOT NULL,
    updated_at     {{.Timestamp}} NOT NULL
);
CREATE INDEX assignments_tour ON assignments (tour_id, realtor_id);

-- Text messages received through Twilio's webhook, once per MessageSid
-- (Twilio may post one twice). A Y or N is an action the poller carries
-- out (confirm or decline through the appointment service), retried with
-- backoff; STOP and START take effect when received.
CREATE TABLE sms_replies (
    message_sid     TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    action          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    tour_id         TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{.Timestamp}} NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    received_at     {{.Timestamp}} NOT NULL
);
CREATE INDEX sms_replies_due ON sms_replies (state, next_attempt_at);

-- +goose Down
DROP TABLE sms_replies;
DROP TABLE assignments;
