-- Named moments of an audio item: a range (start and end) or a marker (a start alone), in
-- milliseconds. They belong to the item: they go with it (and come back from the trash in its
-- snapshot), and a replaced file keeps those that still fit.
CREATE TABLE audio_regions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    audio_id   BIGINT NOT NULL REFERENCES audios (id) ON DELETE CASCADE,
    start_ms   BIGINT NOT NULL CHECK (start_ms >= 0),
    end_ms     BIGINT CHECK (end_ms IS NULL OR end_ms > start_ms),
    label      TEXT NOT NULL,
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX audio_regions_item ON audio_regions (audio_id, start_ms, id);
