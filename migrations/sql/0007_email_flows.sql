-- Email flows (account/email.go, account/passwordless.go).

-- Wrong email OTP guesses against the current code, kept beside auth.users
-- (as auth.user_totp_state is) so hasura-auth's users table keeps its shape.
-- The code itself is auth.users.otp_hash (bcrypt, hasura-auth's column); a
-- new code resets the count, and the code is burned after too many misses.
CREATE TABLE IF NOT EXISTS auth.user_email_otp_state (
  user_id uuid PRIMARY KEY REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  failures integer NOT NULL DEFAULT 0
);
