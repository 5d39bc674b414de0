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

CREATE FUNCTION collection_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE collection_counts SET n = n - 1
            WHERE collection_id = OLD.collection_id AND kind = OLD.kind
              AND owner_key = COALESCE(OLD.owner_id, 0);
    END IF;
    -- A membership's insert needs its collection; a collection being deleted takes its counts.
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO collection_counts (collection_id, kind, owner_key, n)
            VALUES (NEW.collection_id, NEW.kind, COALESCE(NEW.owner_id, 0), 1)
            ON CONFLICT (collection_id, kind, owner_key) DO UPDATE SET n = collection_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER collection_items_counted
    AFTER INSERT OR DELETE OR UPDATE OF collection_id, kind, owner_id ON collection_items
    FOR EACH ROW EXECUTE FUNCTION collection_counts_track();

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

CREATE FUNCTION tag_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE tag_counts SET n = n - 1
            WHERE tag_id = OLD.tag_id AND kind = OLD.kind AND owner_key = COALESCE(OLD.owner_id, 0);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO tag_counts (tag_id, kind, owner_key, n)
            VALUES (NEW.tag_id, NEW.kind, COALESCE(NEW.owner_id, 0), 1)
            ON CONFLICT (tag_id, kind, owner_key) DO UPDATE SET n = tag_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER item_tags_counted
    AFTER INSERT OR DELETE OR UPDATE OF tag_id, kind, owner_id ON item_tags
    FOR EACH ROW EXECUTE FUNCTION tag_counts_track();

-- The pickers on every gallery page list the first collections by name: a walk of this index
-- instead of reading and sorting all of them.
CREATE INDEX collections_name ON collections (name_key, id);
