-- Instances cache each user's sessions epoch (session/epochcache.go) and
-- learn of changes through NOTIFY, sent on commit by these triggers whatever
-- wrote the change: this server, another instance, Hasura, or psql.
CREATE OR REPLACE FUNCTION auth.notify_sessions_epoch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    PERFORM pg_notify('auth_sessions_epoch', OLD.id::text);
  ELSE
    PERFORM pg_notify('auth_sessions_epoch', NEW.user_id::text);
  END IF;
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS notify_sessions_epoch ON auth.user_sessions_epoch;
CREATE TRIGGER notify_sessions_epoch AFTER INSERT OR UPDATE ON auth.user_sessions_epoch
  FOR EACH ROW EXECUTE FUNCTION auth.notify_sessions_epoch();

DROP TRIGGER IF EXISTS notify_sessions_epoch ON auth.users;
CREATE TRIGGER notify_sessions_epoch AFTER DELETE ON auth.users
  FOR EACH ROW EXECUTE FUNCTION auth.notify_sessions_epoch();
