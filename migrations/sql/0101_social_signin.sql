-- Sign-in with OAuth providers. A request in flight (between the redirect
-- to the provider and its callback) is a row of hasura-auth's
-- auth.provider_requests: its id is derived from the state sent to the
-- provider, its options hold what the callback needs. hasura-auth itself
-- never reads this table (its state is a signed token), so rows we write
-- cannot confuse it. A request is used once and expires: expires_at is when.
-- Rows without expires_at are not ours and are left alone.
ALTER TABLE auth.provider_requests ADD COLUMN IF NOT EXISTS expires_at timestamptz;
CREATE INDEX IF NOT EXISTS provider_requests_expires_at_idx ON auth.provider_requests (expires_at)
  WHERE expires_at IS NOT NULL;

-- auth.user_providers.provider_id references auth.providers: the generic
-- OpenID Connect provider needs its row beside hasura-auth's sixteen.
INSERT INTO auth.providers (id) VALUES ('oidc') ON CONFLICT DO NOTHING;
