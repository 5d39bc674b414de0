-- The link a file was added from (`POST /upload/link`, `mediadesk import --links`), without
-- its password, query or fragment, which may hold a signature or a token. NULL for a file
-- uploaded from a computer, and for files added before links were kept. Shown, not searched.
ALTER TABLE images ADD COLUMN source_link TEXT;
ALTER TABLE audios ADD COLUMN source_link TEXT;
