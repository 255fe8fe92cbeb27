-- +goose Up
-- Money is integer minor units (BIGINT) plus an ISO 4217 code; refunded is
-- in the payment's currency.
CREATE TABLE payments (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL,
    order_id        TEXT NOT NULL,
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    refunded        BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded', 'partially_refunded')),
    method          TEXT NOT NULL,
    gateway_ref     TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT NOT NULL,
    failure_reason  TEXT NOT NULL DEFAULT '',
    listing_ids     TEXT NOT NULL,
    scheduled_at    {{.Timestamp}} NOT NULL,
    created_at      {{.Timestamp}} NOT NULL,
    updated_at      {{.Timestamp}} NOT NULL
);
-- Admin lists: newest first, optionally by status or customer.
CREATE INDEX payments_created ON payments (created_at, id);
CREATE INDEX payments_customer ON payments (customer_id, created_at, id);
CREATE INDEX payments_status ON payments (status, created_at, id);

-- A refund is recorded (pending, its amount reserved) before the gateway is
-- called, and settled with the gateway's answer.
CREATE TABLE refunds (
    id           TEXT PRIMARY KEY,
    payment_id   TEXT NOT NULL REFERENCES payments (id),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    reason       TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    gateway_ref  TEXT NOT NULL DEFAULT '',
    created_at   {{.Timestamp}} NOT NULL,
    updated_at   {{.Timestamp}} NOT NULL
);
CREATE INDEX refunds_payment ON refunds (payment_id, status);

-- Idempotency keys of POST /payments and POST /payments/{id}/refund: the
-- request's hash, the resource it made, and once finished the answer sent,
-- replayed byte for byte to a retry. lease_until marks a request in flight;
-- past it, a retry may resume the work (the gateway's own key makes that
-- safe).
CREATE TABLE idempotency_keys (
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
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE refunds;
DROP TABLE payments;
