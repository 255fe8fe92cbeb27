-- +goose Up
-- Refresh tokens (internal/iam/refresh.go). A family is everything one
-- login led to; revoking it (sign-out, reuse of a used-up token,
-- suspension) ends every token in it.
CREATE TABLE refresh_families (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at {{.Timestamp}} NOT NULL,
    expires_at {{.Timestamp}} NOT NULL,
    revoked_at {{.Timestamp}}
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);
CREATE INDEX refresh_families_expiry ON refresh_families (expires_at);

-- One row per token ever issued until it expires: the used-up ones are
-- kept so that presenting one again is recognised as reuse. token_hash is
-- the hex SHA-256 of the token; the token itself is never stored.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES refresh_families (id),
    issued_at  {{.Timestamp}} NOT NULL,
    expires_at {{.Timestamp}} NOT NULL,
    used_at    {{.Timestamp}}
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE refresh_families;
