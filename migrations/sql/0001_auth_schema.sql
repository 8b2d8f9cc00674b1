-- Schema auth as nhost's hasura-auth leaves it after its last (18th) step,
-- object for object, so that Hasura's metadata, apps' permissions and
-- hasura-auth itself (a rollback) find what they expect. Written from the
-- structure of such a database; our own tables come in later migrations.
--
-- Runs only on an empty database. On a database hasura-auth already created
-- (auth.schema_migrations at version 18) it is recorded as adopted, not run:
-- that database is this schema already (migrate.go).
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;
CREATE SCHEMA IF NOT EXISTS auth;

-- Addresses as the WHATWG's HTML standard defines a valid email address.
CREATE DOMAIN auth.email AS public.citext
  CONSTRAINT email_check CHECK (VALUE OPERATOR(public.~) '^[a-zA-Z0-9.!#$%&''*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$'::public.citext);

CREATE FUNCTION auth.set_current_timestamp_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

-- golang-migrate's bookkeeping, in the shape and state hasura-auth's last
-- step leaves it: hasura-auth can later start on this database (a rollback)
-- and finds nothing to apply. This server never writes it again; its own
-- bookkeeping is auth.hasura_auth_go_migrations.
CREATE TABLE auth.schema_migrations (
  version bigint NOT NULL,
  dirty boolean NOT NULL,
  CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
);
INSERT INTO auth.schema_migrations (version, dirty) VALUES (18, false);

CREATE TABLE auth.provider_requests (
  id uuid NOT NULL,
  options jsonb,
  CONSTRAINT provider_requests_pkey PRIMARY KEY (id)
);

CREATE TABLE auth.providers (
  id text NOT NULL,
  CONSTRAINT providers_pkey PRIMARY KEY (id)
);

CREATE TABLE auth.refresh_token_types (
  value text NOT NULL,
  comment text,
  CONSTRAINT refresh_token_types_pkey PRIMARY KEY (value)
);

CREATE TABLE auth.roles (
  role text NOT NULL,
  CONSTRAINT roles_pkey PRIMARY KEY (role)
);

CREATE TABLE auth.users (
  id uuid DEFAULT public.gen_random_uuid() NOT NULL,
  created_at timestamptz DEFAULT now() NOT NULL,
  updated_at timestamptz DEFAULT now() NOT NULL,
  last_seen timestamptz,
  disabled boolean DEFAULT false NOT NULL,
  display_name text DEFAULT '' NOT NULL,
  avatar_url text DEFAULT '' NOT NULL,
  locale varchar(2) NOT NULL,
  email auth.email,
  phone_number text,
  password_hash text,
  email_verified boolean DEFAULT false NOT NULL,
  phone_number_verified boolean DEFAULT false NOT NULL,
  new_email auth.email,
  otp_method_last_used text,
  otp_hash text,
  otp_hash_expires_at timestamptz DEFAULT now() NOT NULL,
  default_role text DEFAULT 'user' NOT NULL,
  is_anonymous boolean DEFAULT false NOT NULL,
  totp_secret text,
  active_mfa_type text,
  ticket text,
  ticket_expires_at timestamptz DEFAULT now() NOT NULL,
  metadata jsonb,
  webauthn_current_challenge text,
  CONSTRAINT users_pkey PRIMARY KEY (id),
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_phone_number_key UNIQUE (phone_number),
  CONSTRAINT active_mfa_types_check CHECK (active_mfa_type = 'totp' OR active_mfa_type = 'sms'),
  CONSTRAINT fk_default_role FOREIGN KEY (default_role) REFERENCES auth.roles (role) ON UPDATE CASCADE ON DELETE RESTRICT
);

CREATE TABLE auth.refresh_tokens (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  created_at timestamptz DEFAULT now() NOT NULL,
  expires_at timestamptz NOT NULL,
  user_id uuid NOT NULL,
  metadata jsonb,
  type text DEFAULT 'regular' NOT NULL,
  refresh_token_hash varchar(255),
  CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id),
  CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES auth.users (id) ON UPDATE CASCADE ON DELETE CASCADE,
  CONSTRAINT refresh_tokens_types_fkey FOREIGN KEY (type) REFERENCES auth.refresh_token_types (value) ON UPDATE RESTRICT ON DELETE RESTRICT
);
CREATE INDEX refresh_tokens_refresh_token_hash_expires_at_user_id_idx
  ON auth.refresh_tokens (refresh_token_hash, expires_at, user_id);

CREATE TABLE auth.user_providers (
  id uuid DEFAULT public.gen_random_uuid() NOT NULL,
  created_at timestamptz DEFAULT now() NOT NULL,
  updated_at timestamptz DEFAULT now() NOT NULL,
  user_id uuid NOT NULL,
  access_token text NOT NULL,
  refresh_token text,
  provider_id text NOT NULL,
  provider_user_id text NOT NULL,
  CONSTRAINT user_providers_pkey PRIMARY KEY (id),
  CONSTRAINT user_providers_provider_id_provider_user_id_key UNIQUE (provider_id, provider_user_id),
  CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES auth.users (id) ON UPDATE CASCADE ON DELETE CASCADE,
  CONSTRAINT fk_provider FOREIGN KEY (provider_id) REFERENCES auth.providers (id) ON UPDATE CASCADE ON DELETE RESTRICT
);

CREATE TABLE auth.user_roles (
  id uuid DEFAULT public.gen_random_uuid() NOT NULL,
  created_at timestamptz DEFAULT now() NOT NULL,
  user_id uuid NOT NULL,
  role text NOT NULL,
  CONSTRAINT user_roles_pkey PRIMARY KEY (id),
  CONSTRAINT user_roles_user_id_role_key UNIQUE (user_id, role),
  CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES auth.users (id) ON UPDATE CASCADE ON DELETE CASCADE,
  CONSTRAINT fk_role FOREIGN KEY (role) REFERENCES auth.roles (role) ON UPDATE CASCADE ON DELETE RESTRICT
);

CREATE TABLE auth.user_security_keys (
  id uuid DEFAULT public.gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  credential_id text NOT NULL,
  credential_public_key bytea,
  counter bigint DEFAULT 0 NOT NULL,
  transports varchar(255) DEFAULT '' NOT NULL,
  nickname text,
  CONSTRAINT user_security_keys_pkey PRIMARY KEY (id),
  CONSTRAINT user_security_key_credential_id_key UNIQUE (credential_id),
  CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES auth.users (id) ON UPDATE CASCADE ON DELETE CASCADE
);

CREATE TRIGGER set_auth_users_updated_at BEFORE UPDATE ON auth.users
  FOR EACH ROW EXECUTE FUNCTION auth.set_current_timestamp_updated_at();
CREATE TRIGGER set_auth_user_providers_updated_at BEFORE UPDATE ON auth.user_providers
  FOR EACH ROW EXECUTE FUNCTION auth.set_current_timestamp_updated_at();

-- Hasura shows table comments as GraphQL descriptions.
COMMENT ON TABLE auth.schema_migrations IS 'golang-migrate state of hasura-auth''s schema (kept for hasura-auth; this server keeps its own in auth.hasura_auth_go_migrations).';
COMMENT ON TABLE auth.provider_requests IS 'OAuth sign-in requests in flight, written before the redirect to the provider.';
COMMENT ON TABLE auth.providers IS 'OAuth providers users may sign in with.';
COMMENT ON TABLE auth.roles IS 'Hasura roles users may be given.';
COMMENT ON TABLE auth.users IS 'User accounts. Shared with Hasura and hasura-auth: keep its columns as they are.';
COMMENT ON TABLE auth.refresh_tokens IS 'Sessions and personal access tokens; only a hash of each token is stored.';
COMMENT ON TABLE auth.user_providers IS 'OAuth provider accounts linked to users.';
COMMENT ON TABLE auth.user_roles IS 'Roles each user may use besides the default one.';
COMMENT ON TABLE auth.user_security_keys IS 'WebAuthn security keys of users.';

INSERT INTO auth.roles (role) VALUES ('user'), ('anonymous'), ('me');
INSERT INTO auth.refresh_token_types (value, comment) VALUES
  ('regular', 'Regular refresh token'),
  ('pat', 'Personal access token');
INSERT INTO auth.providers (id) VALUES
  ('github'), ('facebook'), ('twitter'), ('google'), ('apple'), ('linkedin'), ('windowslive'),
  ('spotify'), ('strava'), ('gitlab'), ('bitbucket'), ('discord'), ('twitch'), ('workos'),
  ('azuread'), ('entraid');
