-- Sessions epoch, audit log, janitor indexes (issue 7).

-- "Log out everywhere": access tokens of a user issued before revoked_before
-- are refused by this server's Bearer endpoints and /token/verify
-- (session/epoch.go). A row exists only for users whose sessions were ever
-- revoked all at once. Beside auth.users, not in it, so hasura-auth's users
-- table keeps its shape.
CREATE TABLE IF NOT EXISTS auth.user_sessions_epoch (
  user_id uuid PRIMARY KEY REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  revoked_before timestamptz NOT NULL
);

-- Security events (package audit). No foreign key to auth.users: the trail
-- of a deleted user stays. Never holds a secret.
CREATE TABLE IF NOT EXISTS auth.audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now(),
  event text NOT NULL,
  user_id uuid,
  actor text NOT NULL DEFAULT 'user',
  ip inet,
  user_agent text,
  request_id text,
  metadata jsonb NOT NULL DEFAULT '{}'
);
-- Retention purge and "latest events" scans.
CREATE INDEX IF NOT EXISTS audit_log_created_at_idx ON auth.audit_log (created_at);
-- One user's trail.
CREATE INDEX IF NOT EXISTS audit_log_user_id_idx ON auth.audit_log (user_id, created_at) WHERE user_id IS NOT NULL;

-- The janitor clears expired tickets in batches (janitor/janitor.go).
CREATE INDEX IF NOT EXISTS users_ticket_expires_at_idx ON auth.users (ticket_expires_at) WHERE ticket IS NOT NULL;
