-- Location and device privacy. At upload the app notes whether an image says where it was
-- taken (`has_location`) or what took it (`has_device_data`); under MEDIADESK_STRIP_METADATA=shares
-- such an image gets a copy without them (`private_key`, its size in `private_bytes`), which share
-- links and other users' downloads get instead of the original. The copy counts against the
-- owner's quota like the thumbnail. The gallery's "contains location" filter walks its own
-- partial indexes, as the other "only" filters do.
ALTER TABLE images ADD COLUMN has_location BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE images ADD COLUMN has_device_data BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE images ADD COLUMN private_key TEXT;
ALTER TABLE images ADD COLUMN private_bytes BIGINT NOT NULL DEFAULT 0;
CREATE INDEX images_location_created ON images (created_at DESC, id DESC) WHERE has_location;
CREATE INDEX images_location_owner_created ON images (owner_id, created_at DESC, id DESC) WHERE has_location;
CREATE INDEX images_location_name ON images (original_filename, id) WHERE has_location;
CREATE INDEX images_location_owner_name ON images (owner_id, original_filename, id) WHERE has_location;
CREATE INDEX images_location_size ON images (byte_size, id) WHERE has_location;
CREATE INDEX images_location_owner_size ON images (owner_id, byte_size, id) WHERE has_location;

CREATE OR REPLACE FUNCTION storage_usage_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BIGINT := 0;
    now_bytes BIGINT := 0;
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.owner_id IS NOT NULL THEN
        IF TG_TABLE_NAME = 'images' THEN
            was := OLD.byte_size + OLD.thumbnail_bytes + OLD.display_bytes + OLD.private_bytes;
        ELSIF TG_TABLE_NAME = 'audios' THEN
            was := OLD.byte_size;
        ELSE
            was := OLD.stored_bytes;
        END IF;
        UPDATE storage_usage SET bytes = bytes - was WHERE owner_id = OLD.owner_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.owner_id IS NOT NULL THEN
        IF TG_TABLE_NAME = 'images' THEN
            now_bytes := NEW.byte_size + NEW.thumbnail_bytes + NEW.display_bytes + NEW.private_bytes;
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
DROP TRIGGER images_usage ON images;
CREATE TRIGGER images_usage AFTER INSERT OR DELETE
    OR UPDATE OF owner_id, byte_size, thumbnail_bytes, display_bytes, private_bytes ON images
    FOR EACH ROW EXECUTE FUNCTION storage_usage_track();
