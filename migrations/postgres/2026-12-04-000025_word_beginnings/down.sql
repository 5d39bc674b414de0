DROP INDEX images_search;
DROP INDEX audios_search;
ALTER TABLE images DROP COLUMN search_doc;
ALTER TABLE audios DROP COLUMN search_doc;
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
DROP FUNCTION word_beginnings(tsvector);
