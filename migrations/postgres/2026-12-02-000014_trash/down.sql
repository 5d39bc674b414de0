DROP TABLE trash;
