-- What staff write about an item (or what its file said about itself at upload): a title, alt
-- text for images (what a screen reader says instead of the picture), a caption and a credit.
ALTER TABLE images ADD COLUMN title TEXT;
ALTER TABLE images ADD COLUMN alt_text TEXT;
ALTER TABLE images ADD COLUMN caption TEXT;
ALTER TABLE images ADD COLUMN credit TEXT;
ALTER TABLE audios ADD COLUMN title TEXT;
ALTER TABLE audios ADD COLUMN caption TEXT;
ALTER TABLE audios ADD COLUMN credit TEXT;
