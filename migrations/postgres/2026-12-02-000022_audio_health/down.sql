DROP INDEX audios_quiet_created;
DROP INDEX audios_quiet_owner_created;
DROP INDEX audios_quiet_name;
DROP INDEX audios_quiet_owner_name;
DROP INDEX audios_quiet_size;
DROP INDEX audios_quiet_owner_size;
DROP INDEX audios_clipped_created;
DROP INDEX audios_clipped_owner_created;
DROP INDEX audios_clipped_name;
DROP INDEX audios_clipped_owner_name;
DROP INDEX audios_clipped_size;
DROP INDEX audios_clipped_owner_size;
DROP INDEX audios_mostly_silent_created;
DROP INDEX audios_mostly_silent_owner_created;
DROP INDEX audios_mostly_silent_name;
DROP INDEX audios_mostly_silent_owner_name;
DROP INDEX audios_mostly_silent_size;
DROP INDEX audios_mostly_silent_owner_size;
DROP TRIGGER audios_usage ON audios;
ALTER TABLE audios DROP COLUMN mostly_silent;
ALTER TABLE audios DROP COLUMN clipped;
ALTER TABLE audios DROP COLUMN quiet;
ALTER TABLE audios DROP COLUMN silence_end_ms;
ALTER TABLE audios DROP COLUMN silence_start_ms;
ALTER TABLE audios DROP COLUMN clipped_samples;
ALTER TABLE audios DROP COLUMN true_peak_db;
ALTER TABLE audios DROP COLUMN loudness_range;
ALTER TABLE audios DROP COLUMN loudness_lufs;
ALTER TABLE audios DROP COLUMN rendition_bytes;
ALTER TABLE audios DROP COLUMN rendition_key;
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
CREATE TRIGGER audios_usage AFTER INSERT OR DELETE OR UPDATE OF owner_id, byte_size ON audios
    FOR EACH ROW EXECUTE FUNCTION storage_usage_track();
