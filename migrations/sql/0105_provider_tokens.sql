-- nhost's current contract takes locales of two or three letters; its
-- schema has auth.users.locale varchar(3). Widening a varchar is a catalog
-- change only (no rewrite) and every reader of the column still works. A
-- view on auth.users that names the column blocks the change: then the
-- column stays varchar(2) (with a warning), and the operator widens it
-- around the view (docs/migrating-from-hasura-auth.md).
DO $$
BEGIN
  IF (SELECT character_maximum_length FROM information_schema.columns
      WHERE table_schema = 'auth' AND table_name = 'users' AND column_name = 'locale') < 3 THEN
    ALTER TABLE auth.users ALTER COLUMN locale TYPE varchar(3);
  END IF;
EXCEPTION WHEN feature_not_supported OR dependent_objects_still_exist THEN
  RAISE WARNING 'auth.users.locale stays varchar(2): %', SQLERRM;
END
$$;

-- Provider tokens (GET /signin/provider/{provider}/callback/tokens, POST
-- /token/provider/{provider}). access_token and refresh_token (hasura-auth's
-- columns) hold the tokens of the last sign-in sealed under
-- AUTH_ENCRYPTION_KEY until they are read once. Ours:
-- access_token_expires_at is when that access token expires (NULL: the
-- provider did not say); refresh_token_hash is the hex SHA-256 of the last
-- refresh token the provider granted this link, kept after the read so that
-- only the user it was granted to can have it refreshed here.
ALTER TABLE auth.user_providers ADD COLUMN IF NOT EXISTS access_token_expires_at timestamptz;
ALTER TABLE auth.user_providers ADD COLUMN IF NOT EXISTS refresh_token_hash text;
CREATE INDEX IF NOT EXISTS user_providers_user_id_provider_id_idx ON auth.user_providers (user_id, provider_id);
