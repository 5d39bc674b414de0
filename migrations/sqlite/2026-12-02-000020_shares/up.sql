-- Share links as records: the link's token is only ever shown once, at creation; the table
-- keeps its SHA-256, so a copy of the database opens nothing. A link is live while
-- `revoked_at` is NULL and `expires_at` is NULL (until revoked) or later than now; trashing or
-- deleting the item and disabling the account that made it set `revoked_at`, so a restored
-- item does not bring its links back. `created_by` is NULL for the command line.
CREATE TABLE shares (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash     TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    item_id        BIGINT NOT NULL,
    created_by     BIGINT,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP,
    revoked_at     TIMESTAMP,
    password_hash  TEXT,
    allow_download BOOLEAN NOT NULL,
    note           TEXT,
    opens          BIGINT NOT NULL DEFAULT 0,
    last_opened_at TIMESTAMP
);
-- Newest first: an item's links, one account's, everyone's.
CREATE INDEX shares_item ON shares (kind, item_id, created_at DESC, id DESC);
CREATE INDEX shares_creator ON shares (created_by, created_at DESC, id DESC);
CREATE INDEX shares_created ON shares (created_at DESC, id DESC);
