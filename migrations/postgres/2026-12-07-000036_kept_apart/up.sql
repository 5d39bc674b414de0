-- Pairs of look-alike images, and of sound-alike sounds, someone said are not duplicates
-- ("Keep all" on the groups page): the groups no longer join them, though each still joins
-- any other item alike it. The lower id first; gone with either item.
CREATE TABLE kept_apart_images (
    first_id  BIGINT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    second_id BIGINT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    PRIMARY KEY (first_id, second_id)
);
-- For the delete of an item that is the second of a pair.
CREATE INDEX kept_apart_images_second ON kept_apart_images (second_id);
CREATE TABLE kept_apart_audios (
    first_id  BIGINT NOT NULL REFERENCES audios (id) ON DELETE CASCADE,
    second_id BIGINT NOT NULL REFERENCES audios (id) ON DELETE CASCADE,
    PRIMARY KEY (first_id, second_id)
);
CREATE INDEX kept_apart_audios_second ON kept_apart_audios (second_id);
