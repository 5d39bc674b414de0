ALTER TABLE versions DROP COLUMN replaced_how;
