-- PostgreSQL only: it keeps the 120 waveform pairs a gallery row draws in a generated column.
-- SQLite reads its rows in place and cannot add a stored generated column to a table, so its
-- gallery reads the peaks themselves; the version exists so both databases list the same ones.
SELECT 1;
