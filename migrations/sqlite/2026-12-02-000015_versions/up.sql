-- Earlier files of items whose file was replaced. The item keeps its id, fields, tags and
-- collections; each file it had before waits here, its objects copied to `trash/` keys nobody
-- was given a link to (`object_keys`, JSON, the original first), with the row as it was
-- (`snapshot`, JSON) so that rolling back restores the file's own columns. Purged like the
-- trash, at `purge_at`, through pending_deletions.
CREATE TABLE versions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT NOT NULL CHECK (kind IN ('image', 'audio')),
    item_id           BIGINT NOT NULL,
    owner_id          BIGINT REFERENCES users (id),
    uploaded_by       BIGINT REFERENCES users (id),
    replaced_by       BIGINT REFERENCES users (id),
    replaced_at       TIMESTAMP NOT NULL,
    purge_at          TIMESTAMP NOT NULL,
    original_filename TEXT NOT NULL,
    content_type      TEXT NOT NULL,
    byte_size         BIGINT NOT NULL,
    object_keys       TEXT NOT NULL,
    snapshot          TEXT NOT NULL
);
CREATE INDEX versions_item ON versions (kind, item_id, replaced_at DESC);
CREATE INDEX versions_purge ON versions (purge_at);
