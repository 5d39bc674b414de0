DROP VIEW media_items;
DROP INDEX audios_size;
DROP INDEX audios_name;
DROP INDEX images_size;
DROP INDEX images_name;
DROP TABLE sign_in_failures;
ALTER TABLE users DROP COLUMN session_epoch;
