ALTER TABLE images DROP COLUMN display_key;
