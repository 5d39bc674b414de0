-- An earlier file's SHA-256, so that uploading it again is caught as a duplicate of the item it
-- was a version of (a turned photo's original, a file replaced): `DuplicateRepo::find_version`.
-- Rows already there take it from their snapshot (the item's row as it was).
ALTER TABLE versions ADD COLUMN sha256 TEXT;
UPDATE versions SET sha256 = COALESCE(snapshot::jsonb -> 'Image' ->> 'sha256', snapshot::jsonb -> 'Audio' ->> 'sha256');
CREATE INDEX versions_sha256 ON versions (sha256, id);
