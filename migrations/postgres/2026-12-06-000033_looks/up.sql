-- An image's look (media/file/look.rs): a 64-bit hash of its picture as shown, which a copy
-- keeps (nearly) through resizing, recompression or a light edit. NULL for images stored
-- before it was made, until `mediadesk backfill` reads their thumbnails. Found by any of its
-- four 16-bit quarters, each indexed: two looks that differ in three bits or fewer share one.
ALTER TABLE images ADD COLUMN look BIGINT;
CREATE INDEX images_look_0 ON images ((look & 65535));
CREATE INDEX images_look_1 ON images (((look >> 16) & 65535));
CREATE INDEX images_look_2 ON images (((look >> 32) & 65535));
CREATE INDEX images_look_3 ON images (((look >> 48) & 65535));
