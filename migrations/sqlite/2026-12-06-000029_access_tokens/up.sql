-- Access tokens let a script act for its account without a session or a CSRF token, within
-- its scope (today only `upload`: the upload form's post and tus). Like a share link, the token
-- is shown once and only its SHA-256 is kept. A token works while `revoked_at` is NULL,
-- `expires_at` is NULL or later than now and its account is enabled; disabling the account
-- revokes its tokens, so enabling it again does not bring them back.
CREATE TABLE access_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP,
    revoked_at   TIMESTAMP,
    last_used_at TIMESTAMP
);
-- One account's tokens, newest first.
CREATE INDEX access_tokens_user ON access_tokens (user_id, created_at DESC, id DESC);
