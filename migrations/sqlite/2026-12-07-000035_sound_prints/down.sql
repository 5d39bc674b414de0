DROP TABLE sound_keys;
ALTER TABLE audios DROP COLUMN print;
