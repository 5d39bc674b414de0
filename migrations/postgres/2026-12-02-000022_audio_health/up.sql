-- Audio health and playback. The upload's one decode measures loudness (EBU R128: integrated
-- LUFS, loudness range, true peak), counts full-scale samples and measures silence; `quiet`,
-- `clipped` and `mostly_silent` are what the gallery filters on (each with its own partial
-- indexes, as the other "only" filters). Audio that not every browser plays (ALAC) gets a FLAC
-- rendition (`rendition_key`), counted in the owner's quota like an image's thumbnail.
ALTER TABLE audios ADD COLUMN rendition_key TEXT;
ALTER TABLE audios ADD COLUMN rendition_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audios ADD COLUMN loudness_lufs DOUBLE PRECISION;
ALTER TABLE audios ADD COLUMN loudness_range DOUBLE PRECISION;
ALTER TABLE audios ADD COLUMN true_peak_db DOUBLE PRECISION;
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

CREATE OR REPLACE FUNCTION storage_usage_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was BIGINT := 0;
    now_bytes BIGINT := 0;
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.owner_id IS NOT NULL THEN
        IF TG_TABLE_NAME = 'images' THEN
            was := OLD.byte_size + OLD.thumbnail_bytes + OLD.display_bytes + OLD.private_bytes;
        ELSIF TG_TABLE_NAME = 'audios' THEN
            was := OLD.byte_size + OLD.rendition_bytes;
        ELSE
            was := OLD.stored_bytes;
        END IF;
        UPDATE storage_usage SET bytes = bytes - was WHERE owner_id = OLD.owner_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.owner_id IS NOT NULL THEN
        IF TG_TABLE_NAME = 'images' THEN
            now_bytes := NEW.byte_size + NEW.thumbnail_bytes + NEW.display_bytes + NEW.private_bytes;
        ELSIF TG_TABLE_NAME = 'audios' THEN
            now_bytes := NEW.byte_size + NEW.rendition_bytes;
        ELSE
            now_bytes := NEW.stored_bytes;
        END IF;
        INSERT INTO storage_usage (owner_id, bytes) VALUES (NEW.owner_id, now_bytes)
            ON CONFLICT (owner_id) DO UPDATE SET bytes = storage_usage.bytes + now_bytes;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER audios_usage ON audios;
CREATE TRIGGER audios_usage AFTER INSERT OR DELETE OR UPDATE OF owner_id, byte_size, rendition_bytes ON audios
    FOR EACH ROW EXECUTE FUNCTION storage_usage_track();
