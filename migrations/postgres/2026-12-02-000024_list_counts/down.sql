DROP INDEX collections_name;
DROP TRIGGER item_tags_counted ON item_tags;
DROP FUNCTION tag_counts_track();
DROP TABLE tag_counts;
DROP TRIGGER collection_items_counted ON collection_items;
DROP FUNCTION collection_counts_track();
DROP TABLE collection_counts;
