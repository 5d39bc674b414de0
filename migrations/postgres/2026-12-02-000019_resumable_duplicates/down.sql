ALTER TABLE resumable_uploads DROP COLUMN refuse_duplicates;
