DROP TABLE audio_regions;
