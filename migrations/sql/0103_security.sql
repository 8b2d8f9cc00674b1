-- Disabling a user, by any means (this server, Hasura, psql), ends the
-- access tokens issued before: the sessions epoch moves on commit, so
-- enabling the user again later does not bring those tokens back. While
-- the user is disabled the Bearer check refuses every token anyway
-- (session/epoch.go); the change reaches every instance through 0009's
-- notification of the users row. SECURITY DEFINER: whoever may update
-- auth.users (Hasura's role) need not be granted our epoch table. When
-- this server disables (admin API) it has already moved the epoch in the
-- same transaction, by its own clock, and that move stands.
CREATE OR REPLACE FUNCTION auth.revoke_sessions_on_disable() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO auth.user_sessions_epoch (user_id, revoked_before)
  VALUES (NEW.id, clock_timestamp())
  ON CONFLICT (user_id) DO UPDATE
    SET revoked_before = GREATEST(auth.user_sessions_epoch.revoked_before, EXCLUDED.revoked_before)
    WHERE auth.user_sessions_epoch.xmin <> pg_current_xact_id()::xid;
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS revoke_sessions_on_disable ON auth.users;
CREATE TRIGGER revoke_sessions_on_disable AFTER UPDATE OF disabled ON auth.users
  FOR EACH ROW WHEN (NEW.disabled AND NOT OLD.disabled)
  EXECUTE FUNCTION auth.revoke_sessions_on_disable();

-- Access tokens of a session started with a personal access token name it
-- (claim pat_id) and die with it (session/pat.go). Instances cache whether
-- a PAT is alive, so its deletion, whoever makes it, is announced on the
-- channel of 0008 with the PAT's id. Only PAT rows: deleting ordinary
-- sessions stays free of notifications.
CREATE OR REPLACE FUNCTION auth.notify_pat_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('auth_sessions_epoch', OLD.id::text);
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS notify_pat_deleted ON auth.refresh_tokens;
CREATE TRIGGER notify_pat_deleted AFTER DELETE OR UPDATE OF expires_at ON auth.refresh_tokens
  FOR EACH ROW WHEN (OLD.type = 'pat')
  EXECUTE FUNCTION auth.notify_pat_deleted();
