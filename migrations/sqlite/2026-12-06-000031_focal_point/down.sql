ALTER TABLE images DROP COLUMN focal_y;
ALTER TABLE images DROP COLUMN focal_x;
