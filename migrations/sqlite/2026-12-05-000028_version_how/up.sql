-- What set an earlier file aside (the audit action: `replace`, `turn`, `roll_back`), so the
-- item's page can say "turned" rather than "replaced". Rows from before it say nothing, and
-- read as replaced.
ALTER TABLE versions ADD COLUMN replaced_how TEXT;
