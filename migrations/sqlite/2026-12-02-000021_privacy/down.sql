DROP INDEX images_location_created;
DROP INDEX images_location_owner_created;
DROP INDEX images_location_name;
DROP INDEX images_location_owner_name;
DROP INDEX images_location_size;
DROP INDEX images_location_owner_size;
DROP TRIGGER images_usage_insert;
DROP TRIGGER images_usage_delete;
DROP TRIGGER images_usage_update;
ALTER TABLE images DROP COLUMN private_bytes;
ALTER TABLE images DROP COLUMN private_key;
ALTER TABLE images DROP COLUMN has_device_data;
ALTER TABLE images DROP COLUMN has_location;
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
