-- Sign-in by SMS (smsauth/). The code is hasura-auth's: bcrypt in
-- auth.users.otp_hash, otp_method_last_used = 'sms'.

-- Wrong SMS codes against the current code, beside auth.users as the email
-- codes' count is (auth.user_email_otp_state). A new code resets it; the
-- code is cleared when it reaches AUTH_SMS_OTP_MAX_ATTEMPTS.
CREATE TABLE IF NOT EXISTS auth.user_sms_otp_state (
  user_id uuid PRIMARY KEY REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE,
  failures integer NOT NULL DEFAULT 0
);

-- This server writes phone numbers in E.164 (+6421234567); hasura-auth wrote
-- them as the client sent them. A number written with spaces, dashes, dots
-- or brackets around its digits (+64 21-234 567) is found by this form.
CREATE INDEX IF NOT EXISTS users_phone_number_e164_idx ON auth.users ((regexp_replace(phone_number, '[^0-9+]', '', 'g')))
  WHERE phone_number IS NOT NULL;
