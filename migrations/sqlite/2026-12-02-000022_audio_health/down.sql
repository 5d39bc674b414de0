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
DROP TRIGGER audios_usage_insert;
DROP TRIGGER audios_usage_delete;
DROP TRIGGER audios_usage_update;
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
