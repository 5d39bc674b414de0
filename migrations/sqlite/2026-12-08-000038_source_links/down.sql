ALTER TABLE audios DROP COLUMN source_link;
ALTER TABLE images DROP COLUMN source_link;
