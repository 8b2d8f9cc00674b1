package compat_test

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/migrations"
	"github.com/hasura-auth-go/auth/rollback"
	"github.com/hasura-auth-go/auth/secretbox"
	"github.com/hasura-auth-go/auth/testsupport"
)

// hasuraAuthHash is how hasura-auth stores a refresh token: the text of
// PostgreSQL's sha256 bytea, "\x" and hex.
func hasuraAuthHash(token string) string {
	return fmt.Sprintf(`\x%x`, sha256.Sum256([]byte(token)))
}

// golangMigrate is auth.schema_migrations' definition and rows.
func (h *harness) golangMigrate() []string {
	return h.query(`SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
		FROM pg_attribute a WHERE a.attrelid = 'auth.schema_migrations'::regclass AND a.attnum > 0 AND NOT a.attisdropped
		UNION ALL SELECT version || ' ' || dirty FROM auth.schema_migrations`)
}

var hasuraAuthMigrated = []string{"version bigint, dirty boolean", "18 false"}

// 1. The server starts on hasura-auth's database with no manual step, keeps
// its own bookkeeping apart, and starts again on it.
func TestStartsOnHasuraAuthDatabase(t *testing.T) {
	h, url := startOnFixture(t, nil)
	assert.Equal(t, hasuraAuthMigrated, h.golangMigrate(), "golang-migrate's table as hasura-auth left it")
	assert.Equal(t, []string{migrations.Baseline + " true"},
		h.query(`SELECT version || ' ' || adopted FROM `+migrations.Table+` WHERE adopted`), "hasura-auth's schema adopted, not rewritten")
	assert.Equal(t, 200, h.do("GET", "/v1/healthz", nil).Status)

	again := start(t, fixtureConfig(url))
	assert.Equal(t, 200, again.do("GET", "/v1/healthz", nil).Status, "a second start (or instance) on the same database")
	assert.Equal(t, hasuraAuthMigrated, again.golangMigrate())
}

// 2. Every row hasura-auth made keeps working.
func TestExistingRowsKeepWorking(t *testing.T) {
	h, _ := startOnFixture(t, nil)

	t.Run("bcrypt password", func(t *testing.T) {
		s := h.sessionOf(h.do("POST", "/v1/signin/email-password", map[string]any{"email": legacyEmail, "password": legacyPassword}))
		assert.Equal(t, legacyUserID, s.User.ID)
		assert.Equal(t, "Legacy User", s.User.DisplayName)
		assert.Equal(t, map[string]any{"plan": "pro"}, s.User.Metadata)
		assert.ElementsMatch(t, []string{"user", "me"}, s.User.Roles)
		assert.Equal(t, "https://www.gravatar.com/avatar/3f937a782374bafe4d85b605d55c8dc3?d=blank&r=g", s.User.AvatarURL)
		assert.Equal(t, 401, h.do("POST", "/v1/signin/email-password", map[string]any{"email": legacyEmail, "password": "wrong-password"}).Status)
	})

	t.Run("refresh tokens", func(t *testing.T) {
		for _, tok := range []string{legacyRefresh, legacyRefresh2} {
			r := h.do("POST", "/v1/token", map[string]any{"refreshToken": tok})
			require.Equal(t, 200, r.Status, "%s", r.Body)
			var s session
			r.decode(t, &s)
			assert.Equal(t, legacyUserID, s.User.ID)
			assert.NotEqual(t, tok, s.RefreshToken, "rotated")
			if tok == legacyRefresh {
				assert.Equal(t, legacyRefreshID, s.RefreshTokenID, "the session keeps its id")
			}
			// The rotated token is stored as hasura-auth stores tokens.
			assert.Equal(t, []string{legacyUserID}, h.query(`SELECT user_id::text FROM auth.refresh_tokens WHERE refresh_token_hash = ?`, hasuraAuthHash(s.RefreshToken)))
		}
	})

	t.Run("personal access token", func(t *testing.T) {
		s := h.sessionOf(h.do("POST", "/v1/signin/pat", map[string]any{"personalAccessToken": legacyPAT}))
		assert.Equal(t, legacyUserID, s.User.ID)
	})

	t.Run("TOTP secret in clear", func(t *testing.T) {
		signIn := func() string {
			r := h.do("POST", "/v1/signin/email-password", map[string]any{"email": mfaEmail, "password": mfaPassword})
			require.Equal(t, 200, r.Status, "%s", r.Body)
			var p struct {
				MFA struct{ Ticket string } `json:"mfa"`
			}
			r.decode(t, &p)
			require.NotEmpty(t, p.MFA.Ticket)
			return p.MFA.Ticket
		}
		code, err := totp.GenerateCode(mfaTOTPSecret, h.clock.Now())
		require.NoError(t, err)
		s := h.sessionOf(h.do("POST", "/v1/signin/mfa/totp", map[string]any{"ticket": signIn(), "otp": code}))
		require.NotNil(t, s.User.ActiveMfaType)
		assert.Equal(t, "totp", *s.User.ActiveMfaType)

		// AUTH_ENCRYPTION_KEY is set: the secret was sealed on first use, and still verifies.
		stored := h.query(`SELECT totp_secret FROM auth.users WHERE email = ?`, mfaEmail)
		require.Len(t, stored, 1)
		assert.True(t, secretbox.IsSealed(stored[0]), "sealed after its first use")
		h.clock.Advance(30 * time.Second)
		code, err = totp.GenerateCode(mfaTOTPSecret, h.clock.Now())
		require.NoError(t, err)
		h.sessionOf(h.do("POST", "/v1/signin/mfa/totp", map[string]any{"ticket": signIn(), "otp": code}))
	})

	t.Run("anonymous user refreshes and deanonymizes", func(t *testing.T) {
		// The fixture stores only the hash of the anonymous session's token:
		// give that session a token we know, written as hasura-auth writes one.
		const tok = "5b1f2c1e-8f7a-4c3e-9d3b-2a1e0f9c8b7a"
		h.exec(`UPDATE auth.refresh_tokens SET refresh_token_hash = ? WHERE id = ?`, hasuraAuthHash(tok), anonymousRefreshID)
		r := h.do("POST", "/v1/token", map[string]any{"refreshToken": tok})
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var s session
		r.decode(t, &s)
		assert.Equal(t, anonymousUserID, s.User.ID)
		assert.True(t, s.User.IsAnonymous)

		r = h.do("POST", "/v1/user/deanonymize", map[string]any{"signInMethod": "email-password", "email": "was.anonymous@example.com", "password": "new-password-1"}, bearer(s.AccessToken)...)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		signedIn := h.sessionOf(h.do("POST", "/v1/signin/email-password", map[string]any{"email": "was.anonymous@example.com", "password": "new-password-1"}))
		assert.Equal(t, anonymousUserID, signedIn.User.ID, "the same user, no longer anonymous")
		assert.False(t, signedIn.User.IsAnonymous)
	})
}

// hasuraAuthUserColumns are the columns hasura-auth's queries select from
// auth.users, by name and in order: a column added there would not break
// them, but one missing or renamed would.
const hasuraAuthUserColumns = `id, created_at, updated_at, last_seen, disabled, display_name, avatar_url, locale, email, phone_number, password_hash, email_verified, phone_number_verified, new_email, otp_method_last_used, otp_hash, otp_hash_expires_at, default_role, is_anonymous, totp_secret, active_mfa_type, ticket, ticket_expires_at, metadata, webauthn_current_challenge`

// 3. After this server ran, hasura-auth can take the database back: its
// golang-migrate state and objects are intact, the sessions we issued are
// found the way hasura-auth looks them up, and prepare-rollback writes TOTP
// secrets back in clear.
func TestRollbackToHasuraAuth(t *testing.T) {
	fixture := testsupport.NormaliseSchema(t, testsupport.DumpSchema(t, testsupport.LoadHasuraAuthFixture(t), "auth"))
	h, url := startOnFixture(t, nil)

	s := h.sessionOf(h.do("POST", "/v1/signin/email-password", map[string]any{"email": legacyEmail, "password": legacyPassword}))
	var refreshed session
	r := h.do("POST", "/v1/token", map[string]any{"refreshToken": legacyRefresh})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r.decode(t, &refreshed)
	signup := h.sessionOf(h.do("POST", "/v1/signup/email-password", map[string]any{"email": "new.user@example.com", "password": "new-password-2"}))
	var pat struct {
		PersonalAccessToken string `json:"personalAccessToken"`
	}
	r = h.do("POST", "/v1/pat", map[string]any{"expiresAt": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}, bearer(s.AccessToken)...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r.decode(t, &pat)
	code, err := totp.GenerateCode(mfaTOTPSecret, h.clock.Now())
	require.NoError(t, err)
	r = h.do("POST", "/v1/signin/email-password", map[string]any{"email": mfaEmail, "password": mfaPassword})
	var mfa struct {
		MFA struct{ Ticket string } `json:"mfa"`
	}
	r.decode(t, &mfa)
	h.sessionOf(h.do("POST", "/v1/signin/mfa/totp", map[string]any{"ticket": mfa.MFA.Ticket, "otp": code}))

	assert.Equal(t, hasuraAuthMigrated, h.golangMigrate(), "hasura-auth finds its migrations done and applies none")
	now := testsupport.NormaliseSchema(t, testsupport.DumpSchema(t, url, "auth"))
	assert.Empty(t, testsupport.KeptObjects(fixture, now), "every object of hasura-auth's schema as it was")

	// hasura-auth's own lookups (GetUserByRefreshTokenHash and the PAT sign-in):
	// by hash, type and expiry, then the user's columns by name.
	lookup := func(token, typ string) []string {
		return h.query(`WITH rt AS (SELECT user_id FROM auth.refresh_tokens WHERE refresh_token_hash = ? AND type = ? AND expires_at > now() LIMIT 1)
			SELECT u.id::text FROM (SELECT `+hasuraAuthUserColumns+` FROM auth.users) u WHERE u.id = (SELECT user_id FROM rt)`, hasuraAuthHash(token), typ)
	}
	assert.Equal(t, []string{legacyUserID}, lookup(s.RefreshToken, "regular"), "a session started here")
	assert.Equal(t, []string{legacyUserID}, lookup(refreshed.RefreshToken, "regular"), "a hasura-auth session rotated here")
	assert.Equal(t, []string{signup.User.ID}, lookup(signup.RefreshToken, "regular"), "a user who signed up here")
	assert.Equal(t, []string{legacyUserID}, lookup(pat.PersonalAccessToken, "pat"), "a PAT created here")
	assert.Equal(t, []string{legacyUserID}, lookup(legacyPAT, "pat"), "hasura-auth's PAT")
	assert.Empty(t, lookup(legacyRefresh, "regular"), "a token rotated away is gone, for hasura-auth too")

	// The TOTP secret was sealed on use; prepare-rollback opens it again.
	box, err := secretbox.New(mustHex(t, encryptionKey))
	require.NoError(t, err)
	report, err := rollback.Prepare(t.Context(), h.srv.DB, box, false)
	require.NoError(t, err)
	assert.Equal(t, 1, report.TOTPSecretsOpened)
	assert.Equal(t, []string{mfaTOTPSecret}, h.query(`SELECT totp_secret FROM auth.users WHERE email = ?`, mfaEmail), "as hasura-auth stores it")
	assert.Positive(t, report.AuditEvents)
	again, err := rollback.Prepare(t.Context(), h.srv.DB, nil, false)
	require.NoError(t, err, "nothing sealed is left: no key needed")
	assert.Zero(t, again.TOTPSecretsOpened)
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := secretbox.ParseHexKey(s)
	require.NoError(t, err)
	return b
}
