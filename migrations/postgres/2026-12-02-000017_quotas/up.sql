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
    owner_id BIGINT PRIMARY KEY,
    bytes    BIGINT NOT NULL
);
INSERT INTO storage_usage (owner_id, bytes)
    SELECT owner_id, SUM(b) FROM (
        SELECT owner_id, byte_size AS b FROM images WHERE owner_id IS NOT NULL
        UNION ALL SELECT owner_id, byte_size FROM audios WHERE owner_id IS NOT NULL
        UNION ALL SELECT owner_id, stored_bytes FROM trash WHERE owner_id IS NOT NULL
        UNION ALL SELECT owner_id, stored_bytes FROM versions WHERE owner_id IS NOT NULL
    ) AS stored GROUP BY owner_id;

-- Each branch is its own statement: PL/pgSQL plans a field reference only when it runs, and
-- the four tables name their sizes differently.
CREATE FUNCTION storage_usage_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BIGINT := 0;
    now_bytes BIGINT := 0;
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.owner_id IS NOT NULL THEN
        IF TG_TABLE_NAME = 'images' THEN
            was := OLD.byte_size + OLD.thumbnail_bytes + OLD.display_bytes;
        ELSIF TG_TABLE_NAME = 'audios' THEN
            was := OLD.byte_size;
        ELSE
            was := OLD.stored_bytes;
        END IF;
        UPDATE storage_usage SET bytes = bytes - was WHERE owner_id = OLD.owner_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.owner_id IS NOT NULL THEN
        IF TG_TABLE_NAME = 'images' THEN
            now_bytes := NEW.byte_size + NEW.thumbnail_bytes + NEW.display_bytes;
        ELSIF TG_TABLE_NAME = 'audios' THEN
            now_bytes := NEW.byte_size;
        ELSE
            now_bytes := NEW.stored_bytes;
        END IF;
        INSERT INTO storage_usage (owner_id, bytes) VALUES (NEW.owner_id, now_bytes)
            ON CONFLICT (owner_id) DO UPDATE SET bytes = storage_usage.bytes + now_bytes;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER images_usage AFTER INSERT OR DELETE
    OR UPDATE OF owner_id, byte_size, thumbnail_bytes, display_bytes ON images
    FOR EACH ROW EXECUTE FUNCTION storage_usage_track();
CREATE TRIGGER audios_usage AFTER INSERT OR DELETE OR UPDATE OF owner_id, byte_size ON audios
    FOR EACH ROW EXECUTE FUNCTION storage_usage_track();
CREATE TRIGGER trash_usage AFTER INSERT OR DELETE OR UPDATE OF owner_id, stored_bytes ON trash
    FOR EACH ROW EXECUTE FUNCTION storage_usage_track();
CREATE TRIGGER versions_usage AFTER INSERT OR DELETE OR UPDATE OF owner_id, stored_bytes ON versions
    FOR EACH ROW EXECUTE FUNCTION storage_usage_track();
