-- +goose Up
-- Checkouts' Idempotency-Key records move to the shared mechanism's table
-- (internal/platform/idempotency, migrated before this set): scope
-- checkout:<customer>, the checkout's order as the resource, the lease of
-- a started checkout, the answer of a completed one (problem+json from
-- 400 up). The checkout row keeps what is the cart's own: the order, the
-- cart as it was, the request, whether it is finished and ordered.
INSERT INTO idempotency_keys (scope, idem_key, request_hash, resource_id, lease_until, status_code, content_type, response, created_at, completed_at)
SELECT 'checkout:' || customer_id, idem_key, request_hash, order_id,
       CASE WHEN state = 'started' THEN lease_until END,
       CASE WHEN state = 'completed' THEN status_code END,
       CASE WHEN state = 'completed' THEN CASE WHEN status_code >= 400 THEN 'application/problem+json' ELSE 'application/json' END END,
       CASE WHEN state = 'completed' THEN {{printf .TextBytes "response"}} END,
       created_at,
       CASE WHEN state = 'completed' THEN created_at END
FROM checkouts;
ALTER TABLE checkouts DROP COLUMN request_hash;
ALTER TABLE checkouts DROP COLUMN status_code;
ALTER TABLE checkouts DROP COLUMN response;
ALTER TABLE checkouts DROP COLUMN lease_until;

-- +goose Down
-- Answers stay behind: a replay after going down is answered anew.
ALTER TABLE checkouts ADD COLUMN request_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE checkouts ADD COLUMN status_code INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checkouts ADD COLUMN response TEXT NOT NULL DEFAULT '';
ALTER TABLE checkouts ADD COLUMN lease_until {{.Timestamp}};
UPDATE checkouts SET
    request_hash = COALESCE((SELECT k.request_hash FROM idempotency_keys k WHERE k.scope = 'checkout:' || checkouts.customer_id AND k.idem_key = checkouts.idem_key), ''),
    status_code = COALESCE((SELECT k.status_code FROM idempotency_keys k WHERE k.scope = 'checkout:' || checkouts.customer_id AND k.idem_key = checkouts.idem_key), 0),
    lease_until = COALESCE((SELECT k.lease_until FROM idempotency_keys k WHERE k.scope = 'checkout:' || checkouts.customer_id AND k.idem_key = checkouts.idem_key), created_at);
DELETE FROM idempotency_keys WHERE scope LIKE 'checkout:%';
