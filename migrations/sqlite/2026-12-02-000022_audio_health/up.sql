-- Audio health and playback. The upload's one decode measures loudness (EBU R128: integrated
-- LUFS, loudness range, true peak), counts full-scale samples and measures silence; `quiet`,
-- `clipped` and `mostly_silent` are what the gallery filters on (each with its own partial
-- indexes, as the other "only" filters). Audio that not every browser plays (ALAC) gets a FLAC
-- rendition (`rendition_key`), counted in the owner's quota like an image's thumbnail.
ALTER TABLE audios ADD COLUMN rendition_key TEXT;
ALTER TABLE audios ADD COLUMN rendition_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audios ADD COLUMN loudness_lufs DOUBLE;
ALTER TABLE audios ADD COLUMN loudness_range DOUBLE;
ALTER TABLE audios ADD COLUMN true_peak_db DOUBLE;
ALTER TABLE audios ADD COLUMN clipped_samples BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audios ADD COLUMN silence_start_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audios ADD COLUMN silence_end_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audios ADD COLUMN quiet BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE audios ADD COLUMN clipped BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE audios ADD COLUMN mostly_silent BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX audios_quiet_created ON audios (created_at DESC, id DESC) WHERE quiet;
CREATE INDEX audios_quiet_owner_created ON audios (owner_id, created_at DESC, id DESC) WHERE quiet;
CREATE INDEX audios_quiet_name ON audios (original_filename, id) WHERE quiet;
CREATE INDEX audios_quiet_owner_name ON audios (owner_id, original_filename, id) WHERE quiet;
CREATE INDEX audios_quiet_size ON audios (byte_size, id) WHERE quiet;
CREATE INDEX audios_quiet_owner_size ON audios (owner_id, byte_size, id) WHERE quiet;
CREATE INDEX audios_clipped_created ON audios (created_at DESC, id DESC) WHERE clipped;
CREATE INDEX audios_clipped_owner_created ON audios (owner_id, created_at DESC, id DESC) WHERE clipped;
CREATE INDEX audios_clipped_name ON audios (original_filename, id) WHERE clipped;
CREATE INDEX audios_clipped_owner_name ON audios (owner_id, original_filename, id) WHERE clipped;
CREATE INDEX audios_clipped_size ON audios (byte_size, id) WHERE clipped;
CREATE INDEX audios_clipped_owner_size ON audios (owner_id, byte_size, id) WHERE clipped;
CREATE INDEX audios_mostly_silent_created ON audios (created_at DESC, id DESC) WHERE mostly_silent;
CREATE INDEX audios_mostly_silent_owner_created ON audios (owner_id, created_at DESC, id DESC) WHERE mostly_silent;
CREATE INDEX audios_mostly_silent_name ON audios (original_filename, id) WHERE mostly_silent;
CREATE INDEX audios_mostly_silent_owner_name ON audios (owner_id, original_filename, id) WHERE mostly_silent;
CREATE INDEX audios_mostly_silent_size ON audios (byte_size, id) WHERE mostly_silent;
CREATE INDEX audios_mostly_silent_owner_size ON audios (owner_id, byte_size, id) WHERE mostly_silent;

DROP TRIGGER audios_usage_insert;
DROP TRIGGER audios_usage_delete;
DROP TRIGGER audios_usage_update;
CREATE TRIGGER audios_usage_insert AFTER INSERT ON audios WHEN NEW.owner_id IS NOT NULL BEGIN
    INSERT INTO storage_usage (owner_id, bytes) VALUES (NEW.owner_id, NEW.byte_size + NEW.rendition_bytes)
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + NEW.byte_size + NEW.rendition_bytes;
END;
CREATE TRIGGER audios_usage_delete AFTER DELETE ON audios WHEN OLD.owner_id IS NOT NULL BEGIN
    UPDATE storage_usage SET bytes = bytes - (OLD.byte_size + OLD.rendition_bytes) WHERE owner_id = OLD.owner_id;
END;
CREATE TRIGGER audios_usage_update AFTER UPDATE OF owner_id, byte_size, rendition_bytes ON audios BEGIN
    UPDATE storage_usage SET bytes = bytes - (OLD.byte_size + OLD.rendition_bytes) WHERE owner_id = OLD.owner_id;
    INSERT INTO storage_usage (owner_id, bytes) SELECT NEW.owner_id, NEW.byte_size + NEW.rendition_bytes WHERE NEW.owner_id IS NOT NULL
        ON CONFLICT (owner_id) DO UPDATE SET bytes = bytes + (NEW.byte_size + NEW.rendition_bytes);
END;
