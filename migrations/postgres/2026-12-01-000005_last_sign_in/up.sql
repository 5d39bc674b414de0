-- When each account last signed in, for the accounts page.
ALTER TABLE users ADD COLUMN last_sign_in_at TIMESTAMP;
