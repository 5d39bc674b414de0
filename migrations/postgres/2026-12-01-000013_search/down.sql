DROP INDEX images_search;
DROP INDEX audios_search;
ALTER TABLE images DROP COLUMN search_doc;
ALTER TABLE audios DROP COLUMN search_doc;
DROP TRIGGER item_tags_spell ON item_tags;
DROP FUNCTION item_tags_spell();
DROP FUNCTION tag_names_of(TEXT, BIGINT);
ALTER TABLE images DROP COLUMN tag_names;
ALTER TABLE audios DROP COLUMN tag_names;
