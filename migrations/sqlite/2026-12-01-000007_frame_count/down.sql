ALTER TABLE images DROP COLUMN frame_count;
