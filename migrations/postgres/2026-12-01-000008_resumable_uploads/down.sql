DROP TABLE resumable_uploads;
