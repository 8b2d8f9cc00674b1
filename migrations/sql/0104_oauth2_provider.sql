-- The OpenID Connect provider (package oidcprovider). Table and column names
-- are nhost's (auth.oauth2_*), so that clients registered the nhost way (a
-- row inserted through Hasura, which tracks these tables) work here too.
-- Columns and tables marked "ours" are additions nhost does not have.
-- Codes and refresh tokens are stored as hex SHA-256, client secrets as bcrypt.

-- nhost's client id format: "nhoa_" and 16 hex digits.
CREATE OR REPLACE FUNCTION auth.generate_oauth2_client_id() RETURNS text
LANGUAGE sql VOLATILE AS $$
  SELECT 'nhoa_' || encode(public.gen_random_bytes(8), 'hex')
$$;

-- Applications that may sign users in. client_secret_hash NULL: a public
-- client (a SPA, a CLI, an agent), which must use PKCE. type
-- client_id_metadata_document: the client id is an HTTPS URL and the row is
-- a cache of the document found there (metadata_document_fetched_at).
CREATE TABLE IF NOT EXISTS auth.oauth2_clients (
  client_id text PRIMARY KEY DEFAULT auth.generate_oauth2_client_id(),
  client_secret_hash text,
  redirect_uris text[] NOT NULL DEFAULT '{}',
  scopes text[] NOT NULL DEFAULT '{openid,profile,email,phone,offline_access,graphql}',
  type text NOT NULL DEFAULT 'registered',
  metadata jsonb,
  metadata_document_fetched_at timestamptz,
  created_by uuid REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT oauth2_clients_type_check CHECK (type IN ('registered', 'client_id_metadata_document')),
  CONSTRAINT oauth2_clients_scopes_check
    CHECK (scopes <@ ARRAY['openid', 'profile', 'email', 'phone', 'offline_access', 'graphql']::text[]),
  -- a secret in clear must never land here, whoever writes the row
  CONSTRAINT oauth2_clients_client_secret_hash_check
    CHECK (client_secret_hash IS NULL OR client_secret_hash ~ '^\$2[aby]\$[0-9]{2}\$')
);
CREATE INDEX IF NOT EXISTS oauth2_clients_created_by_idx ON auth.oauth2_clients (created_by);
DROP TRIGGER IF EXISTS set_auth_oauth2_clients_updated_at ON auth.oauth2_clients;
CREATE TRIGGER set_auth_oauth2_clients_updated_at BEFORE UPDATE ON auth.oauth2_clients
  FOR EACH ROW EXECUTE FUNCTION auth.set_current_timestamp_updated_at();

-- Authorization requests between /oauth2/authorize and the code: the login
-- UI reads one by id, and POST /oauth2/login sets its user once (done).
CREATE TABLE IF NOT EXISTS auth.oauth2_auth_requests (
  id uuid PRIMARY KEY DEFAULT public.gen_random_uuid(),
  client_id text NOT NULL REFERENCES auth.oauth2_clients(client_id) ON UPDATE CASCADE ON DELETE CASCADE,
  scopes text[] NOT NULL DEFAULT '{}',
  redirect_uri text NOT NULL,
  state text,
  nonce text,
  response_type text NOT NULL,
  code_challenge text,
  code_challenge_method text,
  resource text,
  user_id uuid REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  done boolean NOT NULL DEFAULT false,
  auth_time timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CONSTRAINT oauth2_auth_requests_scopes_check
    CHECK (scopes <@ ARRAY['openid', 'profile', 'email', 'phone', 'offline_access', 'graphql']::text[])
);
CREATE INDEX IF NOT EXISTS oauth2_auth_requests_client_id_idx ON auth.oauth2_auth_requests (client_id);
CREATE INDEX IF NOT EXISTS oauth2_auth_requests_expires_at_idx ON auth.oauth2_auth_requests (expires_at);
CREATE INDEX IF NOT EXISTS oauth2_auth_requests_user_id_idx ON auth.oauth2_auth_requests (user_id);

-- Authorization codes. consumed_at (ours): a code is marked, not deleted,
-- when exchanged, so that a second exchange is recognised and revokes what
-- the first one issued (RFC 6749 section 4.1.2).
CREATE TABLE IF NOT EXISTS auth.oauth2_authorization_codes (
  id uuid PRIMARY KEY DEFAULT public.gen_random_uuid(),
  code_hash text NOT NULL UNIQUE,
  auth_request_id uuid NOT NULL REFERENCES auth.oauth2_auth_requests(id) ON UPDATE CASCADE ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
-- Added apart, so that a database where nhost created the table gets them too.
ALTER TABLE auth.oauth2_authorization_codes ADD COLUMN IF NOT EXISTS consumed_at timestamptz;
CREATE INDEX IF NOT EXISTS oauth2_authorization_codes_expires_at_idx ON auth.oauth2_authorization_codes (expires_at);
CREATE INDEX IF NOT EXISTS oauth2_authorization_codes_auth_request_id_idx ON auth.oauth2_authorization_codes (auth_request_id);

-- Refresh tokens of clients: one row per grant, whose token_hash changes at
-- every rotation (as nhost rotates them). generation and auth_time are ours:
-- the rotation count, and when the user signed in for the grant (auth_time
-- of the ID tokens issued on refresh).
CREATE TABLE IF NOT EXISTS auth.oauth2_refresh_tokens (
  id uuid PRIMARY KEY DEFAULT public.gen_random_uuid(),
  token_hash text NOT NULL UNIQUE,
  auth_request_id uuid REFERENCES auth.oauth2_auth_requests(id) ON UPDATE CASCADE ON DELETE SET NULL,
  client_id text NOT NULL REFERENCES auth.oauth2_clients(client_id) ON UPDATE CASCADE ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  scopes text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CONSTRAINT oauth2_refresh_tokens_scopes_check
    CHECK (scopes <@ ARRAY['openid', 'profile', 'email', 'phone', 'offline_access', 'graphql']::text[])
);
ALTER TABLE auth.oauth2_refresh_tokens
  ADD COLUMN IF NOT EXISTS generation integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS auth_time timestamptz;
CREATE INDEX IF NOT EXISTS oauth2_refresh_tokens_user_id_idx ON auth.oauth2_refresh_tokens (user_id);
CREATE INDEX IF NOT EXISTS oauth2_refresh_tokens_client_id_idx ON auth.oauth2_refresh_tokens (client_id);
CREATE INDEX IF NOT EXISTS oauth2_refresh_tokens_expires_at_idx ON auth.oauth2_refresh_tokens (expires_at);
CREATE INDEX IF NOT EXISTS oauth2_refresh_tokens_auth_request_id_idx ON auth.oauth2_refresh_tokens (auth_request_id);

-- Ours: the retired generations of each grant's token. Presenting one again
-- is a replay (the token leaked): the whole grant is revoked, as for sessions
-- (auth.refresh_token_history).
CREATE TABLE IF NOT EXISTS auth.oauth2_refresh_token_history (
  token_hash text PRIMARY KEY,
  refresh_token_id uuid NOT NULL REFERENCES auth.oauth2_refresh_tokens(id) ON DELETE CASCADE,
  generation integer NOT NULL,
  rotated_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS oauth2_refresh_token_history_refresh_token_id_idx
  ON auth.oauth2_refresh_token_history (refresh_token_id);
CREATE INDEX IF NOT EXISTS oauth2_refresh_token_history_expires_at_idx
  ON auth.oauth2_refresh_token_history (expires_at);
