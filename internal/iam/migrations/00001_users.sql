-- +goose Up
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('customer', 'provider', 'realtor', 'admin')),
    status        TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    verified      BOOLEAN NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    {{.Timestamp}} NOT NULL,
    updated_at    {{.Timestamp}} NOT NULL
);
CREATE INDEX users_role ON users (role, created_at);

-- +goose Down
DROP TABLE users;
