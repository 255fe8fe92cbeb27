-- +goose Up
-- A service's idempotency keys (see internal/platform/idempotency): the
-- request's hash, the resource it made, and once finished the answer sent,
-- replayed byte for byte to a repeat. lease_until marks a request in
-- flight; past it, a repeat may take the key over and resume the work.
-- IF NOT EXISTS: the payment service made this very table in its own first
-- migration, before the mechanism was shared.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope        TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    lease_until  {{.Timestamp}},
    status_code  INTEGER,
    content_type TEXT,
    response     {{.Bytes}},
    created_at   {{.Timestamp}} NOT NULL,
    completed_at {{.Timestamp}},
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
