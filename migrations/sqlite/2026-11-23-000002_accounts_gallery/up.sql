-- Bumped on sign-out, password reset and disable: every session issued before dies with it.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;

CREATE TABLE sign_in_failures (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    username   TEXT NOT NULL,
    ip         TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_user ON sign_in_failures (username, ip, created_at);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, created_at);

CREATE INDEX images_name ON images (original_filename, id);
CREATE INDEX images_size ON images (byte_size, id);
CREATE INDEX audios_name ON audios (original_filename, id);
CREATE INDEX audios_size ON audios (byte_size, id);

-- One read model over both kinds for the gallery; each branch uses its table's indexes.
CREATE VIEW media_items AS
    SELECT 'image' AS kind, id, owner_id, original_filename, content_type, byte_size,
           thumbnail_key AS preview_key, storage_key, width, height, NULL AS duration_ms,
           NULL AS transcript, created_at
      FROM images
    UNION ALL
    SELECT 'audio' AS kind, id, owner_id, original_filename, content_type, byte_size,
           waveform_key AS preview_key, storage_key, NULL AS width, NULL AS height, duration_ms,
           transcript, created_at
      FROM audios;
