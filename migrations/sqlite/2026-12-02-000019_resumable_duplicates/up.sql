-- A resumable upload from the script uploader asks, like its form uploads, that an exact
-- duplicate be reported rather than kept; the answer comes with its last piece.
ALTER TABLE resumable_uploads ADD COLUMN refuse_duplicates BOOLEAN NOT NULL DEFAULT FALSE;
