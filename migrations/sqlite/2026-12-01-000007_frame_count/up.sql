-- Frames of an animated GIF or WebP (1 for a still image), counted at upload.
ALTER TABLE images ADD COLUMN frame_count INTEGER NOT NULL DEFAULT 1;
