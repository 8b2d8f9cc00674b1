-- Seeds :n users, their roles and one live session each (with one rotated
-- generation in history), for the data-growth runs of scripts/bench.sh
-- (mode "scale"). psql -v n=1000000 -f scripts/seed.sql on a database the
-- server has migrated. Rows are written as a restore writes them, with
-- triggers off (no cache notifications for rows no server has cached),
-- and left unanalysed, as autovacuum-off machines leave them.
\set ON_ERROR_STOP on
SET session_replication_role = replica;
BEGIN;
CREATE TEMP TABLE seed ON COMMIT DROP AS
  SELECT gen_random_uuid() AS id, i FROM generate_series(1, :n) AS i;
INSERT INTO auth.users (id, email, display_name, locale, default_role, email_verified, password_hash, created_at, last_seen)
  SELECT id, 'seed' || i || '@seed.example', 'Seed ' || i, 'en', 'user', true,
    -- one cost-10 hash for all: no seeded user signs in
    '$2a$10$C6UzMDM.H6dfI/f/IKxGhu9zJ7t0v1mfQCyoT6Y3z2wE2Yb0Nkc9m',
    now() - (i % 1000) * interval '1 hour', now() - (i % 100) * interval '1 hour'
  FROM seed;
INSERT INTO auth.user_roles (user_id, role)
  SELECT id, r FROM seed, unnest(ARRAY['user', 'me']) AS r;
INSERT INTO auth.refresh_tokens (id, user_id, refresh_token_hash, expires_at, generation)
  SELECT id, id, '\x' || encode(sha256(convert_to('seed-session-' || i, 'UTF8')), 'hex'), now() + interval '30 days', 1
  FROM seed;
INSERT INTO auth.refresh_token_history (token_hash, refresh_token_id, generation, rotated_at, expires_at)
  SELECT '\x' || encode(sha256(convert_to('seed-rotated-' || i, 'UTF8')), 'hex'), id, 0, now() - interval '1 hour', now() + interval '30 days'
  FROM seed;
COMMIT;
