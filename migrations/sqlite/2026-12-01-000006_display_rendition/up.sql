-- A screen-size rendition of large images (longest side 2048 px), for the detail page.
ALTER TABLE images ADD COLUMN display_key TEXT;
