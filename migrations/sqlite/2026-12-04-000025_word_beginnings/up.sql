-- PostgreSQL only: its search documents hold word beginnings as words, so that a typed start
-- is an exact entry its GIN index can skip through. SQLite's FTS5 is left as it is: its search
-- pages' time goes to the rows they draw, not to finding them (README, Gallery); the version
-- exists so both databases list the same ones.
SELECT 1;
