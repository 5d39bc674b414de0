-- The gallery's "what still needs work" filters (images without alt text, audio without a
-- transcript) and animations: each (owner, order) stream of them walks a small partial index
-- in order, as the unfiltered gallery walks the full ones.
CREATE INDEX images_no_alt_created ON images (created_at DESC, id DESC) WHERE alt_text IS NULL;
CREATE INDEX images_no_alt_owner_created ON images (owner_id, created_at DESC, id DESC) WHERE alt_text IS NULL;
CREATE INDEX images_no_alt_name ON images (original_filename, id) WHERE alt_text IS NULL;
CREATE INDEX images_no_alt_owner_name ON images (owner_id, original_filename, id) WHERE alt_text IS NULL;
CREATE INDEX images_no_alt_size ON images (byte_size, id) WHERE alt_text IS NULL;
CREATE INDEX images_no_alt_owner_size ON images (owner_id, byte_size, id) WHERE alt_text IS NULL;
CREATE INDEX audios_no_transcript_created ON audios (created_at DESC, id DESC) WHERE transcript IS NULL;
CREATE INDEX audios_no_transcript_owner_created ON audios (owner_id, created_at DESC, id DESC) WHERE transcript IS NULL;
CREATE INDEX audios_no_transcript_name ON audios (original_filename, id) WHERE transcript IS NULL;
CREATE INDEX audios_no_transcript_owner_name ON audios (owner_id, original_filename, id) WHERE transcript IS NULL;
CREATE INDEX audios_no_transcript_size ON audios (byte_size, id) WHERE transcript IS NULL;
CREATE INDEX audios_no_transcript_owner_size ON audios (owner_id, byte_size, id) WHERE transcript IS NULL;
CREATE INDEX images_animated_created ON images (created_at DESC, id DESC) WHERE frame_count > 1;
CREATE INDEX images_animated_owner_created ON images (owner_id, created_at DESC, id DESC) WHERE frame_count > 1;
CREATE INDEX images_animated_name ON images (original_filename, id) WHERE frame_count > 1;
CREATE INDEX images_animated_owner_name ON images (owner_id, original_filename, id) WHERE frame_count > 1;
CREATE INDEX images_animated_size ON images (byte_size, id) WHERE frame_count > 1;
CREATE INDEX images_animated_owner_size ON images (owner_id, byte_size, id) WHERE frame_count > 1;
