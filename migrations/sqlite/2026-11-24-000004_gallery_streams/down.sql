DROP TRIGGER audios_count_owner;
DROP TRIGGER audios_count_delete;
DROP TRIGGER audios_count_insert;
DROP TRIGGER images_count_owner;
DROP TRIGGER images_count_delete;
DROP TRIGGER images_count_insert;
DROP TABLE media_counts;
DROP INDEX audios_owner_size;
DROP INDEX audios_owner_name;
DROP INDEX images_owner_size;
DROP INDEX images_owner_name;
CREATE VIEW media_items AS
    SELECT 'image' AS kind, id, owner_id, original_filename, content_type, byte_size,
           thumbnail_key AS preview_key, storage_key, width, height, NULL AS duration_ms,
           NULL AS transcript, NULL AS peaks, created_at
      FROM images
    UNION ALL
    SELECT 'audio' AS kind, id, owner_id, original_filename, content_type, byte_size,
           waveform_key AS preview_key, storage_key, NULL AS width, NULL AS height, duration_ms,
           transcript, peaks, created_at
      FROM audios;
