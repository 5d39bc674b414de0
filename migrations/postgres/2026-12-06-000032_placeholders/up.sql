-- An image's placeholder: the ThumbHash of its thumbnail, base64 (some 35 characters), which
-- pages paint while the thumbnail loads and the API hands to sites. NULL for images stored
-- before it was made, until `mediadesk backfill` reads their thumbnails.
ALTER TABLE images ADD COLUMN placeholder TEXT;
