DROP INDEX images_location_created;
DROP INDEX images_location_owner_created;
DROP INDEX images_location_name;
DROP INDEX images_location_owner_name;
DROP INDEX images_location_size;
DROP INDEX images_location_owner_size;
DROP TRIGGER images_usage ON images;
ALTER TABLE images DROP COLUMN private_bytes;
ALTER TABLE images DROP COLUMN private_key;
ALTER TABLE images DROP COLUMN has_device_data;
ALTER TABLE images DROP COLUMN has_location;
CREATE OR REPLACE FUNCTION storage_usage_track() RETURNS trigger LANGUAGE plpgsql AS $$
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
