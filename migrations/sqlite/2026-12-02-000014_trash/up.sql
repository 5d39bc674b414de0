-- Items in the trash. The item's row leaves its table (so no gallery, collection, tag page,
-- search or link can reach it, with no filter to forget) and waits here whole: the row as it
-- was, its tags and collections (`snapshot`, JSON), and the objects, copied to trash keys
-- nobody was ever given a link to (`object_keys`, JSON). Restore puts everything back under
-- the same id; purging hands the objects to pending_deletions.
CREATE TABLE trash (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT NOT NULL CHECK (kind IN ('image', 'audio')),
    item_id           BIGINT NOT NULL,
    owner_id          BIGINT REFERENCES users (id),
    trashed_by        BIGINT REFERENCES users (id),
    trashed_at        TIMESTAMP NOT NULL,
    purge_at          TIMESTAMP NOT NULL,
    original_filename TEXT NOT NULL,
    title             TEXT,
    content_type      TEXT NOT NULL,
    byte_size         BIGINT NOT NULL,
    preview_key       TEXT,
    object_keys       TEXT NOT NULL,
    snapshot          TEXT NOT NULL
);
CREATE UNIQUE INDEX trash_item ON trash (kind, item_id);
CREATE INDEX trash_owner ON trash (owner_id, trashed_at DESC, id DESC);
CREATE INDEX trash_recent ON trash (trashed_at DESC, id DESC);
CREATE INDEX trash_purge ON trash (purge_at);
