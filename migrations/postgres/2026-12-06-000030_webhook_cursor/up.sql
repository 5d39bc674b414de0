-- Webhooks are the audit log, sent on: one row says how far it has been delivered. Whichever
-- app process holds the lease (`holder` until `lease_until`) sends the rows after
-- `delivered_through`, in order, one at a time; a refused delivery is tried again at `retry_at`
-- (`attempts` so far, the last `last_error`), and nothing after it is sent before it.
CREATE TABLE webhook_cursor (
    id                INTEGER PRIMARY KEY,
    delivered_through BIGINT NOT NULL,
    holder            TEXT,
    lease_until       TIMESTAMP,
    attempts          INTEGER NOT NULL DEFAULT 0,
    retry_at          TIMESTAMP,
    last_error        TEXT,
    delivered_at      TIMESTAMP
);
