DROP INDEX images_look_3;
DROP INDEX images_look_2;
DROP INDEX images_look_1;
DROP INDEX images_look_0;
ALTER TABLE images DROP COLUMN look;
