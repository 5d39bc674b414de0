-- 1 000 (min, max) pairs as signed bytes: a 2 KB picture of the whole track, read with the row.
ALTER TABLE audios ADD COLUMN peaks BYTEA;

DROP VIEW media_items;
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
