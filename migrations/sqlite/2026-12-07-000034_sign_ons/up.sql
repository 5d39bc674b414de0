-- Single sign-on: an account signs in through an OpenID Connect provider once that provider's
-- person (issuer + subject, the only claims a provider promises never to reuse) is linked to it.
-- Names and e-mail addresses are never matched to an account: whoever controls a name at the
-- provider must not gain the Mediadesk account that happens to share it.
CREATE TABLE sign_ons (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- What the provider called the person when linked, to show on the account's page.
    known_as     TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    UNIQUE (issuer, subject)
);
-- One account's links.
CREATE INDEX sign_ons_user ON sign_ons (user_id, id);
