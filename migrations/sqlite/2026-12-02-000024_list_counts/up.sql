-- A collection's and a tag's items per kind and owner (0 = system), kept by triggers on the
-- memberships: a collection's or tag's gallery total, and the item counts beside collections,
-- cost a lookup instead of counting every member on every page (10 000 rows for a big one).
CREATE TABLE collection_counts (
    collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    owner_key     BIGINT NOT NULL,
    n             BIGINT NOT NULL,
    PRIMARY KEY (collection_id, kind, owner_key)
);
INSERT INTO collection_counts (collection_id, kind, owner_key, n)
    SELECT collection_id, kind, COALESCE(owner_id, 0), COUNT(*) FROM collection_items
    GROUP BY collection_id, kind, COALESCE(owner_id, 0);

CREATE TRIGGER collection_items_count_insert AFTER INSERT ON collection_items BEGIN
    INSERT INTO collection_counts (collection_id, kind, owner_key, n)
        VALUES (NEW.collection_id, NEW.kind, COALESCE(NEW.owner_id, 0), 1)
        ON CONFLICT (collection_id, kind, owner_key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER collection_items_count_delete AFTER DELETE ON collection_items BEGIN
    UPDATE collection_counts SET n = n - 1
        WHERE collection_id = OLD.collection_id AND kind = OLD.kind AND owner_key = COALESCE(OLD.owner_id, 0);
END;
CREATE TRIGGER collection_items_count_move AFTER UPDATE OF collection_id, kind, owner_id ON collection_items
BEGIN
    UPDATE collection_counts SET n = n - 1
        WHERE collection_id = OLD.collection_id AND kind = OLD.kind AND owner_key = COALESCE(OLD.owner_id, 0);
    INSERT INTO collection_counts (collection_id, kind, owner_key, n)
        VALUES (NEW.collection_id, NEW.kind, COALESCE(NEW.owner_id, 0), 1)
        ON CONFLICT (collection_id, kind, owner_key) DO UPDATE SET n = n + 1;
END;

CREATE TABLE tag_counts (
    tag_id    BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    owner_key BIGINT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (tag_id, kind, owner_key)
);
INSERT INTO tag_counts (tag_id, kind, owner_key, n)
    SELECT tag_id, kind, COALESCE(owner_id, 0), COUNT(*) FROM item_tags
    GROUP BY tag_id, kind, COALESCE(owner_id, 0);

CREATE TRIGGER item_tags_count_insert AFTER INSERT ON item_tags BEGIN
    INSERT INTO tag_counts (tag_id, kind, owner_key, n)
        VALUES (NEW.tag_id, NEW.kind, COALESCE(NEW.owner_id, 0), 1)
        ON CONFLICT (tag_id, kind, owner_key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER item_tags_count_delete AFTER DELETE ON item_tags BEGIN
    UPDATE tag_counts SET n = n - 1
        WHERE tag_id = OLD.tag_id AND kind = OLD.kind AND owner_key = COALESCE(OLD.owner_id, 0);
END;
CREATE TRIGGER item_tags_count_move AFTER UPDATE OF tag_id, kind, owner_id ON item_tags BEGIN
    UPDATE tag_counts SET n = n - 1
        WHERE tag_id = OLD.tag_id AND kind = OLD.kind AND owner_key = COALESCE(OLD.owner_id, 0);
    INSERT INTO tag_counts (tag_id, kind, owner_key, n)
        VALUES (NEW.tag_id, NEW.kind, COALESCE(NEW.owner_id, 0), 1)
        ON CONFLICT (tag_id, kind, owner_key) DO UPDATE SET n = n + 1;
END;

-- The pickers on every gallery page list the first collections by name: a walk of this index
-- instead of reading and sorting all of them.
CREATE INDEX collections_name ON collections (name_key, id);
