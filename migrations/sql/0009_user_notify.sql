-- Instances also cache what GET /user answers (account's profile cache), so
-- every change of a user's row or roles is announced on the channel of 0008,
-- on commit, whoever writes it: this server, another instance, Hasura, psql.
--
-- Roles inserted with a user created in the same transaction (sign-up,
-- anonymous sign-in) are not announced: nothing can have cached that user
-- yet, and a NOTIFY would serialise those commits on the notification
-- queue's lock, at thousands of sign-ins a second.
CREATE OR REPLACE FUNCTION auth.notify_user_row_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('auth_sessions_epoch', NEW.id::text);
  IF OLD.id IS DISTINCT FROM NEW.id THEN
    PERFORM pg_notify('auth_sessions_epoch', OLD.id::text);
  END IF;
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS notify_user_changed ON auth.users;
CREATE TRIGGER notify_user_changed AFTER UPDATE ON auth.users
  FOR EACH ROW EXECUTE FUNCTION auth.notify_user_row_changed();

CREATE OR REPLACE FUNCTION auth.notify_user_roles_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  uid uuid;
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- One primary-key lookup per user, never a join the planner could turn
    -- into a scan of auth.users.
    FOR uid IN SELECT DISTINCT user_id FROM new_rows LOOP
      IF EXISTS (SELECT 1 FROM auth.users u WHERE u.id = uid AND u.xmin <> pg_current_xact_id()::xid) THEN
        PERFORM pg_notify('auth_sessions_epoch', uid::text);
      END IF;
    END LOOP;
  ELSIF TG_OP = 'UPDATE' THEN
    FOR uid IN SELECT user_id FROM old_rows UNION SELECT user_id FROM new_rows LOOP
      PERFORM pg_notify('auth_sessions_epoch', uid::text);
    END LOOP;
  ELSE
    FOR uid IN SELECT DISTINCT user_id FROM old_rows LOOP
      PERFORM pg_notify('auth_sessions_epoch', uid::text);
    END LOOP;
  END IF;
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS notify_user_roles_inserted ON auth.user_roles;
CREATE TRIGGER notify_user_roles_inserted AFTER INSERT ON auth.user_roles
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION auth.notify_user_roles_changed();

DROP TRIGGER IF EXISTS notify_user_roles_updated ON auth.user_roles;
CREATE TRIGGER notify_user_roles_updated AFTER UPDATE ON auth.user_roles
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION auth.notify_user_roles_changed();

DROP TRIGGER IF EXISTS notify_user_roles_deleted ON auth.user_roles;
CREATE TRIGGER notify_user_roles_deleted AFTER DELETE ON auth.user_roles
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION auth.notify_user_roles_changed();
