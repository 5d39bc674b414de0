DROP INDEX images_owner_sha256;
DROP INDEX audios_owner_sha256;
DROP INDEX images_sha256;
DROP INDEX audios_sha256;
