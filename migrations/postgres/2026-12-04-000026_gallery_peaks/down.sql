ALTER TABLE audios DROP COLUMN gallery_peaks;
DROP FUNCTION gallery_peaks(bytea);
