-- +goose Up
-- access_notices remembers which realtor was told that a tour's access
-- opened, for which start: the sweep tells each (realtor, start) once,
-- across restarts and instances; a reassignment or a reschedule is a new
-- row, so the new realtor or the new time is told again.
CREATE TABLE access_notices (
    tour_id      TEXT NOT NULL,
    realtor_id   TEXT NOT NULL,
    scheduled_at {{.Timestamp}} NOT NULL,
    notified_at  {{.Timestamp}} NOT NULL,
    PRIMARY KEY (tour_id, realtor_id, scheduled_at)
);

-- +goose Down
DROP TABLE access_notices;
