-- Named sets of media, nested, owned by an account or by the system (NULL). Items are referenced,
-- never copied, and storage keys never move: renaming or moving a collection is one row.
CREATE TABLE collections (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id   BIGINT REFERENCES users (id) ON DELETE CASCADE,
    -- A collection's sub-collections go with it (its media never do).
    parent_id  BIGINT REFERENCES collections (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    -- The name as compared (NFC, lower case): siblings cannot be "Harbour" and "harbour".
    name_key   TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX collections_sibling_name
    ON collections (COALESCE(owner_id, 0), COALESCE(parent_id, 0), name_key);
CREATE INDEX collections_parent ON collections (parent_id);

-- Membership, with the item's owner and sort values copied in, so that a collection's gallery
-- walks one of these indexes in order, as the whole gallery walks the items' own.
CREATE TABLE collection_items (
    collection_id     BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    item_id           BIGINT NOT NULL,
    owner_id          BIGINT,
    created_at        TIMESTAMP NOT NULL,
    original_filename TEXT NOT NULL,
    byte_size         BIGINT NOT NULL,
    added_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (collection_id, kind, item_id)
);
CREATE INDEX collection_items_created ON collection_items (collection_id, kind, created_at, item_id);
CREATE INDEX collection_items_name ON collection_items (collection_id, kind, original_filename, item_id);
CREATE INDEX collection_items_size ON collection_items (collection_id, kind, byte_size, item_id);
CREATE INDEX collection_items_item ON collection_items (kind, item_id);

-- An item that goes leaves every collection, whichever way it went.
CREATE TRIGGER images_leave_collections AFTER DELETE ON images BEGIN
    DELETE FROM collection_items WHERE kind = 'image' AND item_id = OLD.id;
END;
CREATE TRIGGER audios_leave_collections AFTER DELETE ON audios BEGIN
    DELETE FROM collection_items WHERE kind = 'audio' AND item_id = OLD.id;
END;
