-- Uploads sent in pieces (tus) that have not finished yet. Everything a process needs to take
-- the next piece is here or in the store, so consecutive pieces may reach different processes.
CREATE TABLE resumable_uploads (
    id            TEXT PRIMARY KEY,
    uploader_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Whose the item will be; NULL: the system's.
    owner_id      BIGINT,
    filename      TEXT NOT NULL,
    declared_type TEXT,
    length        BIGINT NOT NULL,
    -- Bytes received so far (the tus offset).
    received      BIGINT NOT NULL DEFAULT 0,
    -- Known once the first bytes have been read.
    content_type  TEXT,
    storage_key   TEXT,
    -- The store's multipart upload the pieces go into.
    assembly_id   TEXT,
    -- The last bytes received that the store has not taken yet (less than one part).
    tail          BLOB NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL
);
CREATE INDEX resumable_uploads_expires ON resumable_uploads (expires_at);
