-- Byte quotas. Every object an item has counts against its owner: the original, its thumbnail
-- and display rendition (their sizes are recorded when they are stored), its earlier files
-- (versions) and, until purged, the trash. `storage_usage` is the sum per owner, kept by
-- triggers in the same transaction as the change, so it always equals what the rows name.
ALTER TABLE images ADD COLUMN thumbnail_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN display_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE trash ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;
UPDATE trash SET stored_bytes = byte_size;
UPDATE versions SET stored_bytes = byte_size;

-- NULL: the default quota (MEDIADESK_DEFAULT_QUOTA); the largest BIGINT: unlimited.
ALTER TABLE users ADD COLUMN quota_bytes BIGINT;

CREATE TABLE storage_usage (
    owner_id INTEGER PRIMARY KEY,
    bytes    INTEGER NOT NULL
);
INSERT INTO storage_usage (owner_id, bytes)
    SELECT owner_id, SUM(b) FROM (
        SELECT owner_id, byte_size AS b FROM images WHERE owner_id IS NOT NULL
        UNION ALL SELECT owner_id, byte_size FROM audios WHERE owner_id IS NOT NULL
        UNION ALL SELECT owner_id, stored_bytes FROM trash WHERE owner_id IS NOT NULL
        UNION ALL SELECT owner_id, stored_bytes FROM versions WHERE owner_id IS NOT NULL
    ) AS stored GROUP BY owner_id;

CREATE TRIGGER images_usage_insert AFTER INSERT ON images WHEN NEW.owner_id IS NOT NULL BEGIN
    INSERT INTO storage_usage (owner_id, bytes) VALUES (NEW.owner_id, NEW.byte_size + NEW.thumbnail_bytes + NEW.display_bytes)
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + NEW.byte_size + NEW.thumbnail_bytes + NEW.display_bytes;
END;
CREATE TRIGGER images_usage_delete AFTER DELETE ON images WHEN OLD.owner_id IS NOT NULL BEGIN
    UPDATE storage_usage SET bytes = bytes - (OLD.byte_size + OLD.thumbnail_bytes + OLD.display_bytes) WHERE owner_id = OLD.owner_id;
END;
CREATE TRIGGER images_usage_update AFTER UPDATE OF owner_id, byte_size, thumbnail_bytes, display_bytes ON images BEGIN
    UPDATE storage_usage SET bytes = bytes - (OLD.byte_size + OLD.thumbnail_bytes + OLD.display_bytes) WHERE owner_id = OLD.owner_id;
    INSERT INTO storage_usage (owner_id, bytes) SELECT NEW.owner_id, NEW.byte_size + NEW.thumbnail_bytes + NEW.display_bytes WHERE NEW.owner_id IS NOT NULL
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + (NEW.byte_size + NEW.thumbnail_bytes + NEW.display_bytes);
END;
CREATE TRIGGER audios_usage_insert AFTER INSERT ON audios WHEN NEW.owner_id IS NOT NULL BEGIN
    INSERT INTO storage_usage (owner_id, bytes) VALUES (NEW.owner_id, NEW.byte_size)
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + NEW.byte_size;
END;
CREATE TRIGGER audios_usage_delete AFTER DELETE ON audios WHEN OLD.owner_id IS NOT NULL BEGIN
    UPDATE storage_usage SET bytes = bytes - (OLD.byte_size) WHERE owner_id = OLD.owner_id;
END;
CREATE TRIGGER audios_usage_update AFTER UPDATE OF owner_id, byte_size ON audios BEGIN
    UPDATE storage_usage SET bytes = bytes - (OLD.byte_size) WHERE owner_id = OLD.owner_id;
    INSERT INTO storage_usage (owner_id, bytes) SELECT NEW.owner_id, NEW.byte_size WHERE NEW.owner_id IS NOT NULL
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + (NEW.byte_size);
END;
CREATE TRIGGER trash_usage_insert AFTER INSERT ON trash WHEN NEW.owner_id IS NOT NULL BEGIN
    INSERT INTO storage_usage (owner_id, bytes) VALUES (NEW.owner_id, NEW.stored_bytes)
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + NEW.stored_bytes;
END;
CREATE TRIGGER trash_usage_delete AFTER DELETE ON trash WHEN OLD.owner_id IS NOT NULL BEGIN
    UPDATE storage_usage SET bytes = bytes - (OLD.stored_bytes) WHERE owner_id = OLD.owner_id;
END;
CREATE TRIGGER trash_usage_update AFTER UPDATE OF owner_id, stored_bytes ON trash BEGIN
    UPDATE storage_usage SET bytes = bytes - (OLD.stored_bytes) WHERE owner_id = OLD.owner_id;
    INSERT INTO storage_usage (owner_id, bytes) SELECT NEW.owner_id, NEW.stored_bytes WHERE NEW.owner_id IS NOT NULL
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + (NEW.stored_bytes);
END;
CREATE TRIGGER versions_usage_insert AFTER INSERT ON versions WHEN NEW.owner_id IS NOT NULL BEGIN
    INSERT INTO storage_usage (owner_id, bytes) VALUES (NEW.owner_id, NEW.stored_bytes)
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + NEW.stored_bytes;
END;
CREATE TRIGGER versions_usage_delete AFTER DELETE ON versions WHEN OLD.owner_id IS NOT NULL BEGIN
    UPDATE storage_usage SET bytes = bytes - (OLD.stored_bytes) WHERE owner_id = OLD.owner_id;
END;
CREATE TRIGGER versions_usage_update AFTER UPDATE OF owner_id, stored_bytes ON versions BEGIN
    UPDATE storage_usage SET bytes = bytes - (OLD.stored_bytes) WHERE owner_id = OLD.owner_id;
    INSERT INTO storage_usage (owner_id, bytes) SELECT NEW.owner_id, NEW.stored_bytes WHERE NEW.owner_id IS NOT NULL
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + (NEW.stored_bytes);
END;
