-- Search over what people wrote and said about an item, in an FTS5 index per kind whose
-- columns are weighed at query time: file name, title and tags (`head`), alt text and caption
-- (`body`), a transcript. The index holds no copy of the text (contentless, rows deletable by
-- id); triggers keep it in step with every write, so it can never lag the fields.
--
-- Tags live in `item_tags`; their names are copied onto the item by a trigger, so that the
-- item's own triggers see them.
ALTER TABLE images ADD COLUMN tag_names TEXT NOT NULL DEFAULT '';
ALTER TABLE audios ADD COLUMN tag_names TEXT NOT NULL DEFAULT '';

UPDATE images SET tag_names = coalesce((SELECT group_concat(name, ' ') FROM (
    SELECT tg.name FROM item_tags x JOIN tags tg ON tg.id = x.tag_id
    WHERE x.kind = 'image' AND x.item_id = images.id ORDER BY tg.id)), '');
UPDATE audios SET tag_names = coalesce((SELECT group_concat(name, ' ') FROM (
    SELECT tg.name FROM item_tags x JOIN tags tg ON tg.id = x.tag_id
    WHERE x.kind = 'audio' AND x.item_id = audios.id ORDER BY tg.id)), '');

CREATE TRIGGER item_tags_spell_added AFTER INSERT ON item_tags BEGIN
    UPDATE images SET tag_names = coalesce((SELECT group_concat(name, ' ') FROM (
        SELECT tg.name FROM item_tags x JOIN tags tg ON tg.id = x.tag_id
        WHERE x.kind = 'image' AND x.item_id = NEW.item_id ORDER BY tg.id)), '')
    WHERE NEW.kind = 'image' AND id = NEW.item_id;
    UPDATE audios SET tag_names = coalesce((SELECT group_concat(name, ' ') FROM (
        SELECT tg.name FROM item_tags x JOIN tags tg ON tg.id = x.tag_id
        WHERE x.kind = 'audio' AND x.item_id = NEW.item_id ORDER BY tg.id)), '')
    WHERE NEW.kind = 'audio' AND id = NEW.item_id;
END;
CREATE TRIGGER item_tags_spell_removed AFTER DELETE ON item_tags BEGIN
    UPDATE images SET tag_names = coalesce((SELECT group_concat(name, ' ') FROM (
        SELECT tg.name FROM item_tags x JOIN tags tg ON tg.id = x.tag_id
        WHERE x.kind = 'image' AND x.item_id = OLD.item_id ORDER BY tg.id)), '')
    WHERE OLD.kind = 'image' AND id = OLD.item_id;
    UPDATE audios SET tag_names = coalesce((SELECT group_concat(name, ' ') FROM (
        SELECT tg.name FROM item_tags x JOIN tags tg ON tg.id = x.tag_id
        WHERE x.kind = 'audio' AND x.item_id = OLD.item_id ORDER BY tg.id)), '')
    WHERE OLD.kind = 'audio' AND id = OLD.item_id;
END;

CREATE VIRTUAL TABLE images_search USING fts5(
    head, body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 4'
);
CREATE VIRTUAL TABLE audios_search USING fts5(
    head, body, transcript,
    content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 4'
);

INSERT INTO images_search (rowid, head, body)
    SELECT id, original_filename || ' ' || coalesce(title, '') || ' ' || tag_names,
           coalesce(alt_text, '') || ' ' || coalesce(caption, '')
    FROM images;
INSERT INTO audios_search (rowid, head, body, transcript)
    SELECT id, original_filename || ' ' || coalesce(title, '') || ' ' || tag_names,
           coalesce(caption, ''), coalesce(transcript, '')
    FROM audios;

CREATE TRIGGER images_search_added AFTER INSERT ON images BEGIN
    INSERT INTO images_search (rowid, head, body) VALUES (
        NEW.id, NEW.original_filename || ' ' || coalesce(NEW.title, '') || ' ' || NEW.tag_names,
        coalesce(NEW.alt_text, '') || ' ' || coalesce(NEW.caption, ''));
END;
CREATE TRIGGER images_search_changed AFTER UPDATE OF original_filename, title, alt_text, caption, tag_names
ON images BEGIN
    DELETE FROM images_search WHERE rowid = OLD.id;
    INSERT INTO images_search (rowid, head, body) VALUES (
        NEW.id, NEW.original_filename || ' ' || coalesce(NEW.title, '') || ' ' || NEW.tag_names,
        coalesce(NEW.alt_text, '') || ' ' || coalesce(NEW.caption, ''));
END;
CREATE TRIGGER images_search_removed AFTER DELETE ON images BEGIN
    DELETE FROM images_search WHERE rowid = OLD.id;
END;
CREATE TRIGGER audios_search_added AFTER INSERT ON audios BEGIN
    INSERT INTO audios_search (rowid, head, body, transcript) VALUES (
        NEW.id, NEW.original_filename || ' ' || coalesce(NEW.title, '') || ' ' || NEW.tag_names,
        coalesce(NEW.caption, ''), coalesce(NEW.transcript, ''));
END;
CREATE TRIGGER audios_search_changed AFTER UPDATE OF original_filename, title, caption, transcript, tag_names
ON audios BEGIN
    DELETE FROM audios_search WHERE rowid = OLD.id;
    INSERT INTO audios_search (rowid, head, body, transcript) VALUES (
        NEW.id, NEW.original_filename || ' ' || coalesce(NEW.title, '') || ' ' || NEW.tag_names,
        coalesce(NEW.caption, ''), coalesce(NEW.transcript, ''));
END;
CREATE TRIGGER audios_search_removed AFTER DELETE ON audios BEGIN
    DELETE FROM audios_search WHERE rowid = OLD.id;
END;
