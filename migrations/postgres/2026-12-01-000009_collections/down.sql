DROP TRIGGER images_leave_collections ON images;
DROP TRIGGER audios_leave_collections ON audios;
DROP FUNCTION collection_items_forget();
DROP TABLE collection_items;
DROP TABLE collections;
