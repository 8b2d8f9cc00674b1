-- WebAuthn. Keys stay in hasura-auth's auth.user_security_keys, written as
-- hasura-auth writes them, so either server can read the other's keys; what
-- hasura-auth does not keep lives in tables of ours.

-- Ceremonies in progress. A challenge is found by its SHA-256, is bound to
-- its ceremony and (adding a key, elevating, signing in by email) its user,
-- and is consumed once. sign_up holds the pending user of a sign-up (id,
-- email, display name, options) until the verify step creates it.
CREATE TABLE IF NOT EXISTS auth.webauthn_challenges (
  challenge_hash bytea PRIMARY KEY,
  ceremony text NOT NULL CHECK (ceremony IN ('sign-up', 'sign-in', 'add-key', 'elevate')),
  user_id uuid REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  session jsonb NOT NULL,
  sign_up jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz,
  CHECK ((ceremony = 'sign-up') = (sign_up IS NOT NULL)),
  CHECK (ceremony IN ('sign-up', 'sign-in') OR user_id IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS webauthn_challenges_expires_at_idx ON auth.webauthn_challenges (expires_at);
CREATE INDEX IF NOT EXISTS webauthn_challenges_user_id_idx ON auth.webauthn_challenges (user_id) WHERE user_id IS NOT NULL;

-- What we learn about a key beyond hasura-auth's columns. A key registered
-- by hasura-auth gets its row at its first use here.
CREATE TABLE IF NOT EXISTS auth.webauthn_key_details (
  key_id uuid PRIMARY KEY REFERENCES auth.user_security_keys(id) ON UPDATE CASCADE ON DELETE CASCADE,
  created_at timestamptz,
  last_used_at timestamptz,
  backup_eligible boolean NOT NULL,
  backup_state boolean NOT NULL,
  user_verified boolean NOT NULL,
  aaguid uuid,
  attestation_format text NOT NULL DEFAULT ''
);

-- A user's keys are listed at every sign-in by email, elevation and key
-- listing; hasura-auth's table has no index on user_id.
CREATE INDEX IF NOT EXISTS user_security_keys_user_id_idx ON auth.user_security_keys (user_id);
