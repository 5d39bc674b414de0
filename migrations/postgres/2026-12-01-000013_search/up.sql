-- Search over what people wrote and said about an item: its file name, title and tags weigh
-- most (A), alt text and caption next (B), a transcript least (C). The document is a generated
-- column with a GIN index, so it can never lag the fields it is made of. Separators that
-- PostgreSQL's parser would keep inside one token (`IMG_2024.jpg` as a "file") are spaces
-- first, so words split as SQLite's unicode61 tokenizer splits them.
--
-- Tags live in `item_tags`; their names are copied onto the item by a trigger, so that the
-- generated column can read them.
ALTER TABLE images ADD COLUMN tag_names TEXT NOT NULL DEFAULT '';
ALTER TABLE audios ADD COLUMN tag_names TEXT NOT NULL DEFAULT '';

CREATE FUNCTION tag_names_of(item_kind TEXT, item BIGINT) RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(tg.name, ' ' ORDER BY tg.id), '')
    FROM item_tags x JOIN tags tg ON tg.id = x.tag_id
    WHERE x.kind = item_kind AND x.item_id = item
$$;

UPDATE images SET tag_names = tag_names_of('image', id)
    WHERE id IN (SELECT item_id FROM item_tags WHERE kind = 'image');
UPDATE audios SET tag_names = tag_names_of('audio', id)
    WHERE id IN (SELECT item_id FROM item_tags WHERE kind = 'audio');

-- The item's row is locked before its tags are read: two taggings of one item at once then
-- see each other's tag instead of each writing a list without the other's.
CREATE FUNCTION item_tags_spell() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    item_kind TEXT;
    item BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        item_kind := OLD.kind; item := OLD.item_id;
    ELSE
        item_kind := NEW.kind; item := NEW.item_id;
    END IF;
    IF item_kind = 'image' THEN
        PERFORM 1 FROM images WHERE id = item FOR UPDATE;
        UPDATE images SET tag_names = tag_names_of('image', item) WHERE id = item;
    ELSE
        PERFORM 1 FROM audios WHERE id = item FOR UPDATE;
        UPDATE audios SET tag_names = tag_names_of('audio', item) WHERE id = item;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER item_tags_spell AFTER INSERT OR DELETE ON item_tags
    FOR EACH ROW EXECUTE FUNCTION item_tags_spell();

ALTER TABLE images ADD COLUMN search_doc tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', translate(
        original_filename || ' ' || coalesce(title, '') || ' ' || tag_names, '._-/\:@+', '        ')), 'A')
    || setweight(to_tsvector('simple', translate(
        coalesce(alt_text, '') || ' ' || coalesce(caption, ''), '._-/\:@+', '        ')), 'B')
) STORED;
ALTER TABLE audios ADD COLUMN search_doc tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', translate(
        original_filename || ' ' || coalesce(title, '') || ' ' || tag_names, '._-/\:@+', '        ')), 'A')
    || setweight(to_tsvector('simple', translate(coalesce(caption, ''), '._-/\:@+', '        ')), 'B')
    || setweight(to_tsvector('simple', translate(coalesce(transcript, ''), '._-/\:@+', '        ')), 'C')
) STORED;
CREATE INDEX images_search ON images USING GIN (search_doc);
CREATE INDEX audios_search ON audios USING GIN (search_doc);
