DROP VIEW media_items;
CREATE VIEW media_items AS
    SELECT 'image' AS kind, id, owner_id, original_filename, content_type, byte_size,
           thumbnail_key AS preview_key, storage_key, width, height, NULL AS duration_ms,
           NULL AS transcript, created_at
      FROM images
    UNION ALL
    SELECT 'audio' AS kind, id, owner_id, original_filename, content_type, byte_size,
           waveform_key AS preview_key, storage_key, NULL AS width, NULL AS height, duration_ms,
           transcript, created_at
      FROM audios;
ALTER TABLE audios DROP COLUMN peaks;
