DROP TABLE pending_deletions;
DROP TABLE audios;
DROP TABLE images;
DROP TABLE users;
