DROP TRIGGER images_lose_tags;
DROP TRIGGER audios_lose_tags;
DROP TABLE item_tags;
DROP TABLE tags;
