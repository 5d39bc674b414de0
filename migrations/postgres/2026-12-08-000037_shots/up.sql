-- How a photo was taken (domain/shot.rs): its moment, camera, lens and exposure, as JSON read
-- from its EXIF at upload ('{}' when it says nothing). NULL for images stored before it was
-- read, until `mediadesk backfill` reads their originals. Shown, never searched or sorted on.
ALTER TABLE images ADD COLUMN shot TEXT;
