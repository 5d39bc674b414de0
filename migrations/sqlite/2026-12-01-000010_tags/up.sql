-- Free labels on items. A tag is one row however many items carry it; `key` is how names are
-- compared (trimmed, NFC, lower case), `name` how it was first written.
CREATE TABLE tags (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    key  TEXT NOT NULL UNIQUE
);

-- Which items carry which tag, with the item's owner and sort values copied in (as for
-- collections), so that a tag's gallery walks one of these indexes in order.
CREATE TABLE item_tags (
    tag_id            BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    item_id           BIGINT NOT NULL,
    owner_id          BIGINT,
    created_at        TIMESTAMP NOT NULL,
    original_filename TEXT NOT NULL,
    byte_size         BIGINT NOT NULL,
    PRIMARY KEY (tag_id, kind, item_id)
);
CREATE INDEX item_tags_created ON item_tags (tag_id, kind, created_at, item_id);
CREATE INDEX item_tags_name ON item_tags (tag_id, kind, original_filename, item_id);
CREATE INDEX item_tags_size ON item_tags (tag_id, kind, byte_size, item_id);
CREATE INDEX item_tags_item ON item_tags (kind, item_id);

CREATE TRIGGER images_lose_tags AFTER DELETE ON images BEGIN
    DELETE FROM item_tags WHERE kind = 'image' AND item_id = OLD.id;
END;
CREATE TRIGGER audios_lose_tags AFTER DELETE ON audios BEGIN
    DELETE FROM item_tags WHERE kind = 'audio' AND item_id = OLD.id;
END;
