-- +goose Up
-- The sandbox gateway's own books, kept like a real gateway keeps them: one
-- row per charge and per refund, keyed by the caller's idempotency key so a
-- repeated call returns the first answer and never moves money twice.
CREATE TABLE sandbox_charges (
    idempotency_key TEXT PRIMARY KEY,
    ref             TEXT NOT NULL UNIQUE,
    amount          BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    method          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('succeeded', 'declined')),
    decline_code    TEXT NOT NULL DEFAULT '',
    refunded        BIGINT NOT NULL DEFAULT 0,
    created_at      {{.Timestamp}} NOT NULL
);

CREATE TABLE sandbox_refunds (
    idempotency_key TEXT PRIMARY KEY,
    ref             TEXT NOT NULL UNIQUE,
    charge_ref      TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    created_at      {{.Timestamp}} NOT NULL
);
CREATE INDEX sandbox_refunds_charge ON sandbox_refunds (charge_ref);

-- +goose Down
DROP TABLE sandbox_refunds;
DROP TABLE sandbox_charges;
