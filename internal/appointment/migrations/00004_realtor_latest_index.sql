-- +goose Up
-- A realtor's latest active (held or booked) appointment ranks them among
-- an assignment's candidates: with this index it is one step into it per
-- realtor, not a read of their whole history. Their appointments in the
-- tour's week come from appointments_realtor, a range of one week.
CREATE INDEX appointments_realtor_latest ON appointments (realtor_id, created_at) WHERE status <> 'released';

-- +goose Down
DROP INDEX appointments_realtor_latest;
