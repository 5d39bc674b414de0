-- A search word matches the start of a word ("harb" finds "Harbour"). As a `tsquery` prefix
-- (`harb:*`) the GIN index cannot skip through it: it reads every item of every word that
-- starts so into a bitmap before the other words narrow it (a word every item holds cost
-- 1.4 ms a kind at 100 000 items, an exact word 0.25 ms). So the document also holds each
-- word's beginnings, from 2 up to 12 characters, at the word's own positions and weights: the
-- search asks for those as exact words, which the index skips through, and ranks them as it
-- ranked the prefixes (same positions, same weights). A word of 1 or more than 12 characters
-- is still asked as a prefix (`src/db/repo/search.rs`, `WORD_BEGINNINGS`).
--
-- A document holds at most 1 MiB of words and their positions. Beginnings stop being added,
-- from the document's last words back, where they would pass 1 000 000 bytes with its own
-- words (counted before repeated beginnings merge, so never less than they take): only a
-- transcript of thousands of long distinct words gets there (100 000 characters of 13-letter
-- Chinese words would need 2.5 MB), and it keeps its whole words and its first words'
-- beginnings instead of failing to save.
CREATE FUNCTION word_beginnings(doc tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    WITH words AS (
        SELECT lexeme, positions[1] AS first, coalesce(array_length(positions, 1), 0) AS count,
               (SELECT string_agg(p || wt, ',') FROM unnest(positions, weights) AS x(p, wt)) AS at
        FROM unnest(doc)
    ), beginnings AS (
        -- What a word takes in a tsvector: its bytes, aligned, and two bytes a position and one.
        SELECT left(lexeme, n) AS word, at, n = length(lexeme) AS whole,
               sum(CASE WHEN n < length(lexeme) THEN octet_length(left(lexeme, n)) + 3 + 2 * count END)
                   OVER (ORDER BY first, n ROWS UNBOUNDED PRECEDING) AS spent
        FROM words, generate_series(least(length(lexeme), 2), length(lexeme)) AS n
        WHERE n <= 12 OR n = length(lexeme)
    )
    SELECT coalesce(string_agg(
        '''' || replace(replace(word, '\', '\\'), '''', '''''') || ''':' || at, ' '), '')::tsvector
    FROM beginnings
    WHERE whole OR spent <= 1000000 - (SELECT sum(octet_length(lexeme) + 3 + 2 * count) FROM words)
$$;

-- PostgreSQL 15 cannot change a generated column's expression: the column (and its index) is
-- made again, which computes every item's document anew.
DROP INDEX images_search;
DROP INDEX audios_search;
ALTER TABLE images DROP COLUMN search_doc;
ALTER TABLE audios DROP COLUMN search_doc;
ALTER TABLE images ADD COLUMN search_doc tsvector GENERATED ALWAYS AS (word_beginnings(
    setweight(to_tsvector('simple', translate(
        original_filename || ' ' || coalesce(title, '') || ' ' || tag_names, '._-/\:@+', '        ')), 'A')
    || setweight(to_tsvector('simple', translate(
        coalesce(alt_text, '') || ' ' || coalesce(caption, ''), '._-/\:@+', '        ')), 'B')
)) STORED;
ALTER TABLE audios ADD COLUMN search_doc tsvector GENERATED ALWAYS AS (word_beginnings(
    setweight(to_tsvector('simple', translate(
        original_filename || ' ' || coalesce(title, '') || ' ' || tag_names, '._-/\:@+', '        ')), 'A')
    || setweight(to_tsvector('simple', translate(coalesce(caption, ''), '._-/\:@+', '        ')), 'B')
    || setweight(to_tsvector('simple', translate(coalesce(transcript, ''), '._-/\:@+', '        ')), 'C')
)) STORED;
CREATE INDEX images_search ON images USING GIN (search_doc);
CREATE INDEX audios_search ON audios USING GIN (search_doc);
