package handlers_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/mail/mailtest"
	"github.com/hasura-auth-go/auth/models"
)

func TestSignUpReturnsSessionHasuraAccepts(t *testing.T) {
	e := newEnv(t, nil)
	addr := email(t)
	r := e.do("POST", "/v1/signup/email-password", map[string]any{
		"email": addr, "password": password,
		"options": map[string]any{"displayName": "Zoë O'Brien", "locale": "fr", "metadata": map[string]any{"plan": "pro"}},
	})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/signup/email-password", "post", r)
	var p struct{ Session sessionBody }
	r.decode(t, &p)
	s := p.Session
	require.Equal(t, int64(900), s.AccessTokenExpiresIn)
	require.Equal(t, addr, s.User.Email)
	require.Equal(t, "Zoë O'Brien", s.User.DisplayName)
	require.Equal(t, "fr", s.User.Locale)
	require.Equal(t, "user", s.User.DefaultRole)
	require.ElementsMatch(t, []string{"me", "user", "editor"}, s.User.Roles)
	require.Equal(t, map[string]any{"plan": "pro"}, s.User.Metadata)
	require.False(t, s.User.IsAnonymous)
	require.Nil(t, s.User.ActiveMfaType)

	c := e.hasuraClaims(s.AccessToken)
	require.Equal(t, "user", c.DefaultRole)
	require.ElementsMatch(t, []string{"me", "user", "editor"}, c.AllowedRoles)
	require.Equal(t, s.User.ID, c.SessionVariables["x-hasura-user-id"])
	require.Equal(t, "false", c.SessionVariables["x-hasura-user-is-anonymous"])
	require.Equal(t, s.User.ID, c.Payload["sub"])
	require.Equal(t, "hasura-auth", c.Payload["iss"])
	require.EqualValues(t, e.clock.Now().Unix(), c.Payload["iat"])
	require.EqualValues(t, e.clock.Now().Unix()+900, c.Payload["exp"])

	// Only the hash of the refresh token is stored.
	var rt models.RefreshToken
	require.NoError(t, e.db().Where("id = ?", s.RefreshTokenID).Take(&rt).Error)
	require.NotContains(t, rt.RefreshTokenHash, s.RefreshToken)
	require.True(t, strings.HasPrefix(rt.RefreshTokenHash, `\x`))
}

func TestSignUpOptionsRoles(t *testing.T) {
	e := newEnv(t, nil)
	s := e.signUp(email(t), map[string]any{"allowedRoles": []string{"me", "editor"}, "defaultRole": "editor"})
	require.Equal(t, "editor", s.User.DefaultRole)
	require.ElementsMatch(t, []string{"me", "editor"}, s.User.Roles)
	c := e.hasuraClaims(s.AccessToken)
	require.Equal(t, "editor", c.DefaultRole)
	require.ElementsMatch(t, []string{"me", "editor"}, c.AllowedRoles)
}

func TestSignUpErrors(t *testing.T) {
	taken := "taken-" + email(t)
	cases := []struct {
		name   string
		config map[string]string
		body   any
		ctype  string
		status int
		code   string
	}{
		{"signup disabled", map[string]string{"AUTH_DISABLE_SIGNUP": "true"}, map[string]any{"email": "a@example.com", "password": password}, "", 403, "signup-disabled"},
		{"invalid email", nil, map[string]any{"email": "not-an-email", "password": password}, "", 400, "invalid-request"},
		{"email with display name", nil, map[string]any{"email": "Bob <bob@example.com>", "password": password}, "", 400, "invalid-request"},
		{"missing email", nil, map[string]any{"password": password}, "", 400, "invalid-request"},
		{"missing password", nil, map[string]any{"email": "a@example.com"}, "", 400, "invalid-request"},
		{"password too short", nil, map[string]any{"email": "a@example.com", "password": "short"}, "", 400, "password-too-short"},
		{"password too long", nil, map[string]any{"email": "a@example.com", "password": strings.Repeat("x", 51)}, "", 400, "invalid-request"},
		{"password over bcrypt's 72 bytes", nil, map[string]any{"email": "a@example.com", "password": strings.Repeat("漢", 25)}, "", 400, "invalid-request"},
		{"role not allowed", nil, map[string]any{"email": "a@example.com", "password": password, "options": map[string]any{"allowedRoles": []string{"admin"}}}, "", 400, "role-not-allowed"},
		{"default role outside allowed", nil, map[string]any{"email": "a@example.com", "password": password, "options": map[string]any{"allowedRoles": []string{"me"}, "defaultRole": "editor"}}, "", 400, "default-role-must-be-in-allowed-roles"},
		{"implicit default role outside allowed", nil, map[string]any{"email": "a@example.com", "password": password, "options": map[string]any{"allowedRoles": []string{"me"}}}, "", 400, "default-role-must-be-in-allowed-roles"},
		{"locale not allowed", nil, map[string]any{"email": "a@example.com", "password": password, "options": map[string]any{"locale": "de"}}, "", 400, "locale-not-allowed"},
		{"locale over three letters", nil, map[string]any{"email": "a@example.com", "password": password, "options": map[string]any{"locale": "engl"}}, "", 400, "invalid-request"},
		{"locale of one letter", nil, map[string]any{"email": "a@example.com", "password": password, "options": map[string]any{"locale": "e"}}, "", 400, "invalid-request"},
		{"three-letter locale not allowed", nil, map[string]any{"email": "a@example.com", "password": password, "options": map[string]any{"locale": "fil"}}, "", 400, "locale-not-allowed"},
		{"display name with url", nil, map[string]any{"email": "a@example.com", "password": password, "options": map[string]any{"displayName": "https://evil.example"}}, "", 400, "invalid-request"},
		{"redirect elsewhere", nil, map[string]any{"email": "a@example.com", "password": password, "options": map[string]any{"redirectTo": "https://evil.example.net/"}}, "", 400, "redirectTo-not-allowed"},
		{"redirect lookalike host", nil, map[string]any{"email": "a@example.com", "password": password, "options": map[string]any{"redirectTo": "https://app.example.com.evil.net/"}}, "", 400, "redirectTo-not-allowed"},
		{"email taken", nil, map[string]any{"email": taken, "password": password}, "", 409, "email-already-in-use"},
		{"email taken other case", nil, map[string]any{"email": strings.ToUpper(taken), "password": password}, "", 409, "email-already-in-use"},
		{"blocked email domain", map[string]string{"AUTH_ACCESS_CONTROL_BLOCKED_EMAIL_DOMAINS": "example.com"}, map[string]any{"email": "b@example.com", "password": password}, "", 401, "invalid-email-password"},
		{"blocked email", map[string]string{"AUTH_ACCESS_CONTROL_BLOCKED_EMAILS": "b@example.com"}, map[string]any{"email": "B@example.com", "password": password}, "", 401, "invalid-email-password"},
		{"not in allowed domains", map[string]string{"AUTH_ACCESS_CONTROL_ALLOWED_EMAIL_DOMAINS": "corp.example"}, map[string]any{"email": "b@example.com", "password": password}, "", 401, "invalid-email-password"},
		{"not in allowed emails", map[string]string{"AUTH_ACCESS_CONTROL_ALLOWED_EMAILS": "boss@example.com"}, map[string]any{"email": "b@example.com", "password": password}, "", 401, "invalid-email-password"},
		{"malformed json", nil, `{"email": "a@example.com",`, "", 400, "invalid-request"},
		{"not an object", nil, `["a@example.com"]`, "", 400, "invalid-request"},
		{"wrong type", nil, `{"email": 42, "password": "x"}`, "", 400, "invalid-request"},
		{"wrong nested type", nil, `{"email": "a@example.com", "password": "` + password + `", "options": {"allowedRoles": "me"}}`, "", 400, "invalid-request"},
		{"unknown field", nil, `{"email": "a@example.com", "password": "` + password + `", "admin": true}`, "", 400, "invalid-request"},
		{"unknown option", nil, `{"email": "a@example.com", "password": "` + password + `", "options": {"isAdmin": true}}`, "", 400, "invalid-request"},
		{"trailing data", nil, `{"email": "a@example.com", "password": "` + password + `"} {}`, "", 400, "invalid-request"},
		{"empty body", nil, ``, "", 400, "invalid-request"},
		{"oversized body", nil, `{"email": "a@example.com", "password": "` + password + `", "options": {"metadata": {"x": "` + strings.Repeat("a", 70000) + `"}}}`, "", 400, "invalid-request"},
		{"form content type", nil, `email=a@example.com&password=secret`, "application/x-www-form-urlencoded", 400, "invalid-request"},
	}
	seed := newEnv(t, nil)
	seed.signUp(taken, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := seed
			if tc.config != nil {
				e = newEnv(t, tc.config)
			}
			var before int64
			require.NoError(t, e.db().Model(&models.User{}).Count(&before).Error)
			var hs []header
			if tc.ctype != "" {
				hs = append(hs, header{"Content-Type", tc.ctype})
			}
			r := e.do("POST", "/v1/signup/email-password", tc.body, hs...)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.Equal(t, tc.code, r.errorCode(t))
			contract(t, "/signup/email-password", "post", r)
			var after int64
			require.NoError(t, e.db().Model(&models.User{}).Count(&after).Error)
			require.Equal(t, before, after, "a refused sign-up must not leave a row")
		})
	}
}

func TestSignUpWithoutSession(t *testing.T) {
	smtp := mailtest.Start(t) // verification mails go here (email_test.go has the flow)
	cases := []struct {
		name     string
		config   map[string]string
		disabled bool
	}{
		{"email verification required", map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true",
			"AUTH_SMTP_HOST": smtp.Host, "AUTH_SMTP_PORT": smtp.PortString(), "AUTH_SMTP_SENDER": "auth@example.com"}, false},
		{"new users disabled", map[string]string{"AUTH_DISABLE_NEW_USERS": "true"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.config)
			addr := email(t)
			r := e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password})
			require.Equal(t, 200, r.Status, "%s", r.Body)
			require.JSONEq(t, `{"session": null}`, string(r.Body))
			contract(t, "/signup/email-password", "post", r)
			u, err := models.FindUserByEmail(e.db(), addr)
			require.NoError(t, err)
			require.Equal(t, tc.disabled, u.Disabled)
			require.False(t, u.EmailVerified)
			var sessions int64
			require.NoError(t, e.db().Model(&models.RefreshToken{}).Where("user_id = ?", u.ID).Count(&sessions).Error)
			require.Zero(t, sessions)
		})
	}
}

// nhost's contract takes locales of two or three letters (ISO 639-2/3 codes
// such as "fil"); auth.users.locale is widened to hold them (migration 0105).
func TestSignUpThreeLetterLocale(t *testing.T) {
	e := newEnv(t, map[string]string{"AUTH_LOCALE_ALLOWED_LOCALES": "en,fil", "AUTH_LOCALE_DEFAULT": "fil"})
	s := e.signUp(email(t), map[string]any{"locale": "fil"})
	require.Equal(t, "fil", s.User.Locale)
	r := e.do("POST", "/v1/signup/email-password", map[string]any{"email": email(t), "password": password})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/signup/email-password", "post", r)
	var p struct{ Session sessionBody }
	r.decode(t, &p)
	require.Equal(t, "fil", p.Session.User.Locale, "AUTH_LOCALE_DEFAULT of three letters")
}
