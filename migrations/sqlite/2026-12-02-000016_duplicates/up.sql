-- Exact duplicates are found by their SHA-256: at upload among what the uploader sees, and
-- grouped per owner on the Duplicates page.
CREATE INDEX images_owner_sha256 ON images (owner_id, sha256);
CREATE INDEX audios_owner_sha256 ON audios (owner_id, sha256);
CREATE INDEX images_sha256 ON images (sha256);
CREATE INDEX audios_sha256 ON audios (sha256);
