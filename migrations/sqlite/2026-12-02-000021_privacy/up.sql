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

DROP TRIGGER images_usage_insert;
DROP TRIGGER images_usage_delete;
DROP TRIGGER images_usage_update;
CREATE TRIGGER images_usage_insert AFTER INSERT ON images WHEN NEW.owner_id IS NOT NULL BEGIN
    INSERT INTO storage_usage (owner_id, bytes) VALUES (NEW.owner_id, NEW.byte_size + NEW.thumbnail_bytes + NEW.display_bytes + NEW.private_bytes)
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + NEW.byte_size + NEW.thumbnail_bytes + NEW.display_bytes + NEW.private_bytes;
END;
CREATE TRIGGER images_usage_delete AFTER DELETE ON images WHEN OLD.owner_id IS NOT NULL BEGIN
    UPDATE storage_usage SET bytes = bytes - (OLD.byte_size + OLD.thumbnail_bytes + OLD.display_bytes + OLD.private_bytes) WHERE owner_id = OLD.owner_id;
END;
CREATE TRIGGER images_usage_update AFTER UPDATE OF owner_id, byte_size, thumbnail_bytes, display_bytes, private_bytes ON images BEGIN
    UPDATE storage_usage SET bytes = bytes - (OLD.byte_size + OLD.thumbnail_bytes + OLD.display_bytes + OLD.private_bytes) WHERE owner_id = OLD.owner_id;
    INSERT INTO storage_usage (owner_id, bytes) SELECT NEW.owner_id, NEW.byte_size + NEW.thumbnail_bytes + NEW.display_bytes + NEW.private_bytes WHERE NEW.owner_id IS NOT NULL
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + (NEW.byte_size + NEW.thumbnail_bytes + NEW.display_bytes + NEW.private_bytes);
END;
