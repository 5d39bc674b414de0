-- The gallery reads each table on its own, in index order, so the union view goes.
DROP VIEW media_items;

-- Every (owner, sort) pair a gallery can ask for is one index range.
CREATE INDEX images_owner_name ON images (owner_id, original_filename, id);
CREATE INDEX images_owner_size ON images (owner_id, byte_size, id);
CREATE INDEX audios_owner_name ON audios (owner_id, original_filename, id);
CREATE INDEX audios_owner_size ON audios (owner_id, byte_size, id);

-- Items per kind and owner (0 = system), kept by triggers so a gallery total costs one lookup.
CREATE TABLE media_counts (
    kind      TEXT NOT NULL,
    owner_key INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (kind, owner_key)
);
INSERT INTO media_counts (kind, owner_key, n)
    SELECT 'image', COALESCE(owner_id, 0), COUNT(*) FROM images GROUP BY COALESCE(owner_id, 0);
INSERT INTO media_counts (kind, owner_key, n)
    SELECT 'audio', COALESCE(owner_id, 0), COUNT(*) FROM audios GROUP BY COALESCE(owner_id, 0);

CREATE TRIGGER images_count_insert AFTER INSERT ON images BEGIN
    INSERT INTO media_counts (kind, owner_key, n) VALUES ('image', COALESCE(NEW.owner_id, 0), 1)
        ON CONFLICT (kind, owner_key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER images_count_delete AFTER DELETE ON images BEGIN
    UPDATE media_counts SET n = n - 1 WHERE kind = 'image' AND owner_key = COALESCE(OLD.owner_id, 0);
END;
CREATE TRIGGER images_count_owner AFTER UPDATE OF owner_id ON images BEGIN
    UPDATE media_counts SET n = n - 1 WHERE kind = 'image' AND owner_key = COALESCE(OLD.owner_id, 0);
    INSERT INTO media_counts (kind, owner_key, n) VALUES ('image', COALESCE(NEW.owner_id, 0), 1)
        ON CONFLICT (kind, owner_key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER audios_count_insert AFTER INSERT ON audios BEGIN
    INSERT INTO media_counts (kind, owner_key, n) VALUES ('audio', COALESCE(NEW.owner_id, 0), 1)
        ON CONFLICT (kind, owner_key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER audios_count_delete AFTER DELETE ON audios BEGIN
    UPDATE media_counts SET n = n - 1 WHERE kind = 'audio' AND owner_key = COALESCE(OLD.owner_id, 0);
END;
CREATE TRIGGER audios_count_owner AFTER UPDATE OF owner_id ON audios BEGIN
    UPDATE media_counts SET n = n - 1 WHERE kind = 'audio' AND owner_key = COALESCE(OLD.owner_id, 0);
    INSERT INTO media_counts (kind, owner_key, n) VALUES ('audio', COALESCE(NEW.owner_id, 0), 1)
        ON CONFLICT (kind, owner_key) DO UPDATE SET n = n + 1;
END;
