DROP TABLE kept_apart_audios;
DROP TABLE kept_apart_images;
