-- The gallery reads each table on its own, in index order, so the union view goes.
DROP VIEW media_items;

-- Names sort by code point everywhere (as in SQLite and in the app's own merge of the two tables).
ALTER TABLE images ALTER COLUMN original_filename TYPE TEXT COLLATE "C";
ALTER TABLE audios ALTER COLUMN original_filename TYPE TEXT COLLATE "C";

-- Every (owner, sort) pair a gallery can ask for is one index range.
CREATE INDEX images_owner_name ON images (owner_id, original_filename, id);
CREATE INDEX images_owner_size ON images (owner_id, byte_size, id);
CREATE INDEX audios_owner_name ON audios (owner_id, original_filename, id);
CREATE INDEX audios_owner_size ON audios (owner_id, byte_size, id);

-- Items per kind and owner (0 = system), kept by triggers so a gallery total costs one lookup.
CREATE TABLE media_counts (
    kind      TEXT NOT NULL,
    owner_key BIGINT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (kind, owner_key)
);
INSERT INTO media_counts (kind, owner_key, n)
    SELECT 'image', COALESCE(owner_id, 0), COUNT(*) FROM images GROUP BY COALESCE(owner_id, 0);
INSERT INTO media_counts (kind, owner_key, n)
    SELECT 'audio', COALESCE(owner_id, 0), COUNT(*) FROM audios GROUP BY COALESCE(owner_id, 0);

CREATE FUNCTION media_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    k TEXT := CASE TG_TABLE_NAME WHEN 'images' THEN 'image' ELSE 'audio' END;
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE media_counts SET n = n - 1 WHERE kind = k AND owner_key = COALESCE(OLD.owner_id, 0);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO media_counts (kind, owner_key, n) VALUES (k, COALESCE(NEW.owner_id, 0), 1)
            ON CONFLICT (kind, owner_key) DO UPDATE SET n = media_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER images_counted AFTER INSERT OR DELETE OR UPDATE OF owner_id ON images
    FOR EACH ROW EXECUTE FUNCTION media_counts_track();
CREATE TRIGGER audios_counted AFTER INSERT OR DELETE OR UPDATE OF owner_id ON audios
    FOR EACH ROW EXECUTE FUNCTION media_counts_track();
