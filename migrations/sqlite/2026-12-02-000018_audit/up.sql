-- What was done, by whom, to what, from where. The app only ever adds rows (an UPDATE is
-- refused here); rows older than MEDIADESK_AUDIT_DAYS are deleted by housekeeping. `actor_id`
-- is NULL for the command line and housekeeping; `subject_id` is the account an account change
-- or a sign-in concerns, `subject_name` the username typed at a failed sign-in.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TIMESTAMP NOT NULL,
    actor_id     BIGINT,
    action       TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    item_kind    TEXT,
    item_id      BIGINT,
    subject_id   BIGINT,
    subject_name TEXT,
    client       TEXT,
    detail       TEXT
);
-- Newest first, whole or narrowed to one actor, action or item.
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at DESC, id DESC);
CREATE INDEX audit_log_action ON audit_log (action, at DESC, id DESC);
CREATE INDEX audit_log_item ON audit_log (item_kind, item_id, at DESC, id DESC);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
