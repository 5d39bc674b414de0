DROP TRIGGER images_leave_collections;
DROP TRIGGER audios_leave_collections;
DROP TABLE collection_items;
DROP TABLE collections;
