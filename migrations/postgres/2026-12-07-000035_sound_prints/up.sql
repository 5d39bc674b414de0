-- A sound's print (media/file/sound.rs): Chromaprint's fingerprint of its first two minutes,
-- 32-bit values little-endian, which a copy in another format keeps. Empty when the sound is
-- too short to have one; NULL for sounds stored before prints were made, until
-- `mediadesk backfill` decodes them. It travels with the row into the trash and versions.
ALTER TABLE audios ADD COLUMN print BYTEA;
-- A few keys of each print (the smallest hashes of its values), by which the prints worth
-- comparing are found: two copies share most keys, unrelated sounds none. Written with the
-- print, gone with the row.
CREATE TABLE sound_keys (
    key      BIGINT NOT NULL,
    audio_id BIGINT NOT NULL REFERENCES audios (id) ON DELETE CASCADE,
    PRIMARY KEY (key, audio_id)
);
-- A sound's own keys, to replace them and to delete them with it.
CREATE INDEX sound_keys_audio ON sound_keys (audio_id);
