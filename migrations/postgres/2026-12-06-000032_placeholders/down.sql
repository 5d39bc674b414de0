ALTER TABLE images DROP COLUMN placeholder;
