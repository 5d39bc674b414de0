-- A gallery row draws an audio item's waveform in 120 strokes, each the lowest and highest of
-- the stored (min, max) pairs its stretch covers (`waveform::svg_path`). Reading all 1 000
-- pairs of each of fifty rows was half of an audio stream's time on PostgreSQL; these 120
-- pairs draw exactly the same strokes. A generated column, so it can never differ from the
-- peaks it is made of, whichever way they are written (upload, replace, restore). SQLite reads
-- the peaks themselves: its rows are read in place, and its pages meet their budget.
CREATE FUNCTION gallery_peaks(peaks bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    bins CONSTANT int := 120;
    n int := length(peaks) / 2;
    drawn bytea;
    first int;
    past int;
    lo int;
    hi int;
    v int;
BEGIN
    IF n = 0 THEN
        RETURN ''::bytea;
    END IF;
    drawn := decode(repeat('00', bins * 2), 'hex');
    FOR x IN 0 .. bins - 1 LOOP
        -- The stretch `svg_path` gives stroke x: pairs x·n/bins up to (x+1)·n/bins, at least one.
        first := x * n / bins;
        past := least(greatest((x + 1) * n / bins, first + 1), n);
        lo := 0;
        hi := 0;
        FOR i IN first .. past - 1 LOOP
            v := get_byte(peaks, 2 * i);
            lo := least(lo, CASE WHEN v > 127 THEN v - 256 ELSE v END);
            v := get_byte(peaks, 2 * i + 1);
            hi := greatest(hi, CASE WHEN v > 127 THEN v - 256 ELSE v END);
        END LOOP;
        drawn := set_byte(drawn, 2 * x, (lo + 256) % 256);
        drawn := set_byte(drawn, 2 * x + 1, (hi + 256) % 256);
    END LOOP;
    RETURN drawn;
END $$;

ALTER TABLE audios ADD COLUMN gallery_peaks bytea GENERATED ALWAYS AS (gallery_peaks(peaks)) STORED;
