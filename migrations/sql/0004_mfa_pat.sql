-- TOTP second factor and personal access tokens (account/mfa.go, session/pat.go).

-- Per-user TOTP state kept beside auth.users rather than in it, so hasura-auth's
-- users table (which Hasura tracks and apps grant columns of) keeps its shape.
-- last_used_step: the 30-second step of the last accepted code; a code for that
--   step or an earlier one is refused, so a code works once.
-- failures / window_started_at: wrong codes in the current window.
-- locked_until: while in the future every code is refused.
CREATE TABLE IF NOT EXISTS auth.user_totp_state (
  user_id uuid PRIMARY KEY REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  last_used_step bigint NOT NULL DEFAULT 0,
  failures integer NOT NULL DEFAULT 0,
  window_started_at timestamptz,
  locked_until timestamptz
);

-- Tickets (mfaTotp:…, and those of the email flows) are looked up by value.
CREATE INDEX IF NOT EXISTS users_ticket_idx ON auth.users (ticket) WHERE ticket IS NOT NULL;

-- A session started with /signin/pat points at its PAT: revoking (deleting)
-- the PAT ends those sessions too, and their expiry never passes the PAT's.
ALTER TABLE auth.refresh_tokens ADD COLUMN IF NOT EXISTS pat_id uuid
  REFERENCES auth.refresh_tokens(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS refresh_tokens_pat_id_idx ON auth.refresh_tokens (pat_id) WHERE pat_id IS NOT NULL;
