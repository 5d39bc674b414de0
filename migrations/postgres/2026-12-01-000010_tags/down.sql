DROP TRIGGER images_lose_tags ON images;
DROP TRIGGER audios_lose_tags ON audios;
DROP FUNCTION item_tags_forget();
DROP TABLE item_tags;
DROP TABLE tags;
