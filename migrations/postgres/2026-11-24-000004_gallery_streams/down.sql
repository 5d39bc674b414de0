DROP TRIGGER audios_counted ON audios;
DROP TRIGGER images_counted ON images;
DROP FUNCTION media_counts_track();
DROP TABLE media_counts;
DROP INDEX audios_owner_size;
DROP INDEX audios_owner_name;
DROP INDEX images_owner_size;
DROP INDEX images_owner_name;
ALTER TABLE audios ALTER COLUMN original_filename TYPE TEXT COLLATE "default";
ALTER TABLE images ALTER COLUMN original_filename TYPE TEXT COLLATE "default";
CREATE VIEW media_items AS
    SELECT 'image' AS kind, id, owner_id, original_filename, content_type, byte_size,
           thumbnail_key AS preview_key, storage_key, width, height, NULL::BIGINT AS duration_ms,
           NULL::TEXT AS transcript, NULL::BYTEA AS peaks, created_at
      FROM images
    UNION ALL
    SELECT 'audio' AS kind, id, owner_id, original_filename, content_type, byte_size,
           waveform_key AS preview_key, storage_key, NULL::INTEGER AS width, NULL::INTEGER AS height, duration_ms,
           transcript, peaks, created_at
      FROM audios;
