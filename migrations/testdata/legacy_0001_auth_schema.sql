-- Schema auth laid out as hasura-auth lays it out, so an existing nhost database
-- and its Hasura metadata keep working. IF NOT EXISTS everywhere: this migration
-- adopts a database that hasura-auth created before.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA IF NOT EXISTS auth;

CREATE OR REPLACE FUNCTION auth.set_current_timestamp_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE TABLE IF NOT EXISTS auth.roles (
  role text PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS auth.providers (
  id text PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS auth.refresh_token_types (
  value text PRIMARY KEY,
  comment text
);

CREATE TABLE IF NOT EXISTS auth.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz,
  disabled boolean NOT NULL DEFAULT false,
  display_name text NOT NULL DEFAULT '',
  avatar_url text NOT NULL DEFAULT '',
  locale varchar(2) NOT NULL,
  email citext UNIQUE,
  phone_number text UNIQUE,
  password_hash text,
  email_verified boolean NOT NULL DEFAULT false,
  phone_number_verified boolean NOT NULL DEFAULT false,
  new_email citext,
  otp_method_last_used text,
  otp_hash text,
  otp_hash_expires_at timestamptz NOT NULL DEFAULT now(),
  default_role text NOT NULL DEFAULT 'user' REFERENCES auth.roles(role) ON UPDATE CASCADE ON DELETE RESTRICT,
  is_anonymous boolean NOT NULL DEFAULT false,
  totp_secret text,
  active_mfa_type text,
  ticket text,
  ticket_expires_at timestamptz NOT NULL DEFAULT now(),
  metadata jsonb,
  webauthn_current_challenge text,
  CONSTRAINT active_mfa_types_check CHECK (active_mfa_type IN ('totp', 'sms'))
);

CREATE TABLE IF NOT EXISTS auth.user_roles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  user_id uuid NOT NULL REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  role text NOT NULL REFERENCES auth.roles(role) ON UPDATE CASCADE ON DELETE RESTRICT,
  UNIQUE (user_id, role)
);

CREATE TABLE IF NOT EXISTS auth.refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  user_id uuid NOT NULL REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  metadata jsonb,
  type text NOT NULL DEFAULT 'regular' REFERENCES auth.refresh_token_types(value) ON UPDATE RESTRICT ON DELETE RESTRICT,
  refresh_token_hash varchar(255)
);

CREATE TABLE IF NOT EXISTS auth.user_providers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  user_id uuid NOT NULL REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  access_token text NOT NULL,
  refresh_token text,
  provider_id text NOT NULL REFERENCES auth.providers(id) ON UPDATE CASCADE ON DELETE RESTRICT,
  provider_user_id text NOT NULL,
  UNIQUE (provider_id, provider_user_id),
  UNIQUE (user_id, provider_id)
);

CREATE TABLE IF NOT EXISTS auth.user_security_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  credential_id text NOT NULL UNIQUE,
  credential_public_key bytea,
  counter bigint NOT NULL DEFAULT 0,
  transports varchar(255) NOT NULL DEFAULT '',
  nickname text
);

DROP TRIGGER IF EXISTS set_auth_users_updated_at ON auth.users;
CREATE TRIGGER set_auth_users_updated_at BEFORE UPDATE ON auth.users
  FOR EACH ROW EXECUTE FUNCTION auth.set_current_timestamp_updated_at();
DROP TRIGGER IF EXISTS set_auth_user_providers_updated_at ON auth.user_providers;
CREATE TRIGGER set_auth_user_providers_updated_at BEFORE UPDATE ON auth.user_providers
  FOR EACH ROW EXECUTE FUNCTION auth.set_current_timestamp_updated_at();

CREATE INDEX IF NOT EXISTS refresh_tokens_user_id_idx ON auth.refresh_tokens (user_id);
CREATE INDEX IF NOT EXISTS refresh_tokens_expires_at_idx ON auth.refresh_tokens (expires_at);
CREATE INDEX IF NOT EXISTS refresh_tokens_refresh_token_hash_idx ON auth.refresh_tokens (refresh_token_hash);
CREATE INDEX IF NOT EXISTS user_roles_user_id_idx ON auth.user_roles (user_id);

INSERT INTO auth.roles (role) VALUES ('user'), ('anonymous'), ('me') ON CONFLICT DO NOTHING;
INSERT INTO auth.refresh_token_types (value, comment) VALUES
  ('regular', 'Regular refresh token'),
  ('pat', 'Personal access token')
ON CONFLICT DO NOTHING;
INSERT INTO auth.providers (id) VALUES
  ('apple'), ('azuread'), ('bitbucket'), ('discord'), ('entraid'), ('facebook'), ('github'),
  ('gitlab'), ('google'), ('linkedin'), ('spotify'), ('strava'), ('twitch'), ('twitter'),
  ('windowslive'), ('workos')
ON CONFLICT DO NOTHING;

-- Columns that later hasura-auth versions added: an adopted older schema gets them too.
ALTER TABLE auth.users ADD COLUMN IF NOT EXISTS webauthn_current_challenge text;
ALTER TABLE auth.users ADD COLUMN IF NOT EXISTS otp_method_last_used text;
ALTER TABLE auth.users ADD COLUMN IF NOT EXISTS otp_hash text;
ALTER TABLE auth.users ADD COLUMN IF NOT EXISTS otp_hash_expires_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE auth.refresh_tokens ADD COLUMN IF NOT EXISTS metadata jsonb;
ALTER TABLE auth.refresh_tokens ADD COLUMN IF NOT EXISTS type text NOT NULL DEFAULT 'regular' REFERENCES auth.refresh_token_types(value);
ALTER TABLE auth.refresh_tokens ADD COLUMN IF NOT EXISTS refresh_token_hash varchar(255);
ALTER TABLE auth.user_security_keys ADD COLUMN IF NOT EXISTS nickname text;
