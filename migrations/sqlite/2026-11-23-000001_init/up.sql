CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'user')),
    disabled      BOOLEAN NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE images (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id          BIGINT REFERENCES users (id),
    uploader_id       BIGINT REFERENCES users (id),
    original_filename TEXT NOT NULL,
    content_type      TEXT NOT NULL,
    byte_size         BIGINT NOT NULL,
    sha256            TEXT NOT NULL,
    storage_key       TEXT NOT NULL UNIQUE,
    thumbnail_key     TEXT,
    width             INTEGER NOT NULL,
    height            INTEGER NOT NULL,
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX images_owner_created ON images (owner_id, created_at DESC, id DESC);
CREATE INDEX images_created ON images (created_at DESC, id DESC);

CREATE TABLE audios (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id          BIGINT REFERENCES users (id),
    uploader_id       BIGINT REFERENCES users (id),
    original_filename TEXT NOT NULL,
    content_type      TEXT NOT NULL,
    byte_size         BIGINT NOT NULL,
    sha256            TEXT NOT NULL,
    storage_key       TEXT NOT NULL UNIQUE,
    waveform_key      TEXT,
    duration_ms       BIGINT NOT NULL,
    bitrate           INTEGER NOT NULL,
    sample_rate       INTEGER NOT NULL,
    channels          INTEGER NOT NULL,
    codec             TEXT NOT NULL,
    transcript        TEXT,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX audios_owner_created ON audios (owner_id, created_at DESC, id DESC);
CREATE INDEX audios_created ON audios (created_at DESC, id DESC);

-- Objects whose row is gone but whose bytes could not be removed yet; retried until they are.
CREATE TABLE pending_deletions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    storage_key     TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL
);
CREATE INDEX pending_deletions_next ON pending_deletions (next_attempt_at);
CREATE INDEX pending_deletions_key ON pending_deletions (storage_key);
