-- Brings a database this server created before it wrote hasura-auth's exact
-- schema (0001 of those days: citext emails, generated constraint names, no
-- auth.provider_requests, no golang-migrate table) to the shape 0001 writes
-- now. Every step checks first, so on a database created by today's 0001 or
-- by hasura-auth itself this changes nothing but adding the indexes at the end.
DO $$
DECLARE
  r record;
BEGIN
  IF to_regtype('auth.email') IS NULL THEN
    CREATE DOMAIN auth.email AS public.citext
      CONSTRAINT email_check CHECK (VALUE OPERATOR(public.~) '^[a-zA-Z0-9.!#$%&''*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$'::public.citext);
  END IF;

  -- Emails as auth.email. An address the domain refuses (this server's own
  -- validation is different) keeps the column citext rather than failing the
  -- start: the warning says so, and the database works either way.
  IF (SELECT atttypid FROM pg_attribute WHERE attrelid = 'auth.users'::regclass AND attname = 'email') = 'public.citext'::regtype THEN
    BEGIN
      ALTER TABLE auth.users
        ALTER COLUMN email TYPE auth.email,
        ALTER COLUMN new_email TYPE auth.email;
    EXCEPTION WHEN check_violation THEN
      RAISE WARNING 'auth.users.email stays citext: some address is not a valid email for the auth.email domain';
    END;
  END IF;

  -- Constraint names as hasura-auth has them.
  FOR r IN SELECT * FROM (VALUES
      ('auth.users', 'users_default_role_fkey', 'fk_default_role'),
      ('auth.refresh_tokens', 'refresh_tokens_user_id_fkey', 'fk_user'),
      ('auth.refresh_tokens', 'refresh_tokens_type_fkey', 'refresh_tokens_types_fkey'),
      ('auth.user_providers', 'user_providers_user_id_fkey', 'fk_user'),
      ('auth.user_providers', 'user_providers_provider_id_fkey', 'fk_provider'),
      ('auth.user_roles', 'user_roles_user_id_fkey', 'fk_user'),
      ('auth.user_roles', 'user_roles_role_fkey', 'fk_role'),
      ('auth.user_security_keys', 'user_security_keys_user_id_fkey', 'fk_user'),
      ('auth.user_security_keys', 'user_security_keys_credential_id_key', 'user_security_key_credential_id_key')
    ) AS t(tbl, old_name, new_name)
  LOOP
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = r.tbl::regclass AND conname = r.old_name)
       AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = r.tbl::regclass AND conname = r.new_name) THEN
      EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', r.tbl, r.old_name, r.new_name);
    END IF;
  END LOOP;

  -- The same check, written as hasura-auth's (pg_dump prints the two forms differently).
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'auth.users'::regclass AND conname = 'active_mfa_types_check'
             AND pg_get_constraintdef(oid) LIKE '%ANY%') THEN
    ALTER TABLE auth.users DROP CONSTRAINT active_mfa_types_check,
      ADD CONSTRAINT active_mfa_types_check CHECK (active_mfa_type = 'totp' OR active_mfa_type = 'sms');
  END IF;

  -- A user may link two accounts of one provider (hasura-auth dropped this unique).
  ALTER TABLE auth.user_providers DROP CONSTRAINT IF EXISTS user_providers_user_id_provider_id_key;

  -- hasura-auth's ids default to pgcrypto's gen_random_uuid (the same uuids).
  IF pg_get_expr((SELECT adbin FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                  WHERE d.adrelid = 'auth.users'::regclass AND a.attname = 'id'), 'auth.users'::regclass) = 'gen_random_uuid()' THEN
    ALTER TABLE auth.users ALTER COLUMN id SET DEFAULT public.gen_random_uuid();
    ALTER TABLE auth.user_providers ALTER COLUMN id SET DEFAULT public.gen_random_uuid();
    ALTER TABLE auth.user_roles ALTER COLUMN id SET DEFAULT public.gen_random_uuid();
    ALTER TABLE auth.user_security_keys ALTER COLUMN id SET DEFAULT public.gen_random_uuid();
  END IF;

  IF to_regclass('auth.provider_requests') IS NULL THEN
    CREATE TABLE auth.provider_requests (
      id uuid NOT NULL,
      options jsonb,
      CONSTRAINT provider_requests_pkey PRIMARY KEY (id)
    );
    COMMENT ON TABLE auth.provider_requests IS 'OAuth sign-in requests in flight, written before the redirect to the provider.';
  END IF;

  -- golang-migrate's table at hasura-auth's last step, so that hasura-auth
  -- can start on this database (a rollback) without re-running its steps.
  IF to_regclass('auth.schema_migrations') IS NULL THEN
    CREATE TABLE auth.schema_migrations (
      version bigint NOT NULL,
      dirty boolean NOT NULL,
      CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
    );
    INSERT INTO auth.schema_migrations (version, dirty) VALUES (18, false);
    COMMENT ON TABLE auth.schema_migrations IS 'golang-migrate state of hasura-auth''s schema (kept for hasura-auth; this server keeps its own in auth.hasura_auth_go_migrations).';
  END IF;

  FOR r IN SELECT * FROM (VALUES
      ('auth.providers', 'OAuth providers users may sign in with.'),
      ('auth.roles', 'Hasura roles users may be given.'),
      ('auth.users', 'User accounts. Shared with Hasura and hasura-auth: keep its columns as they are.'),
      ('auth.refresh_tokens', 'Sessions and personal access tokens; only a hash of each token is stored.'),
      ('auth.user_providers', 'OAuth provider accounts linked to users.'),
      ('auth.user_roles', 'Roles each user may use besides the default one.'),
      ('auth.user_security_keys', 'WebAuthn security keys of users.')
    ) AS t(tbl, note)
  LOOP
    IF obj_description(r.tbl::regclass, 'pg_class') IS NULL THEN
      EXECUTE format('COMMENT ON TABLE %s IS %L', r.tbl, r.note);
    END IF;
  END LOOP;
END;
$$;

-- hasura-auth's lookup index; it starts with the hash, so ours on the hash alone goes.
CREATE INDEX IF NOT EXISTS refresh_tokens_refresh_token_hash_expires_at_user_id_idx
  ON auth.refresh_tokens (refresh_token_hash, expires_at, user_id);
DROP INDEX IF EXISTS auth.refresh_tokens_refresh_token_hash_idx;
-- user_roles' unique (user_id, role) serves lookups by user.
DROP INDEX IF EXISTS auth.user_roles_user_id_idx;

-- Ours: a user's sessions (sign-out everywhere) and the janitor's expiry scan.
CREATE INDEX IF NOT EXISTS refresh_tokens_user_id_idx ON auth.refresh_tokens (user_id);
CREATE INDEX IF NOT EXISTS refresh_tokens_expires_at_idx ON auth.refresh_tokens (expires_at);
