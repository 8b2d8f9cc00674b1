package handlers_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Addresses that look like one account are that account or refused, never a
// second account beside it: invisible characters, mixed scripts and IP
// literals are refused; full-width letters and IDN domains are the forms the
// account was stored in.
func TestLookAlikeEmailsAreNotSeparateAccounts(t *testing.T) {
	e := newEnv(t, nil)
	local := strings.TrimSuffix(email(t), "@example.com")
	addr := local + "@example.com"
	owner := e.signUp(addr, nil)

	fullWidth := strings.ToUpper(local)
	var fw strings.Builder
	for _, r := range fullWidth {
		if r >= '!' && r <= '~' {
			r += 0xFF01 - '!' // the full-width form of an ASCII character
		}
		fw.WriteRune(r)
	}
	for _, tc := range []struct {
		name, email string
		status      int
		code        string
	}{
		{"zero-width space", local + "\u200b@example.com", 400, "invalid-request"},
		{"word joiner", local[:1] + "\u2060" + local[1:] + "@example.com", 400, "invalid-request"},
		{"Cyrillic a", strings.Replace(local, "u", "\u0443", 1) + "@example.com", 400, "invalid-request"}, // у (U+0443) for u
		{"IP literal", local + "@[127.0.0.1]", 400, "invalid-request"},
		{"single-label domain", local + "@localhost", 400, "invalid-request"},
		{"full-width: the same account", fw.String() + "@ｅｘａｍｐｌｅ.ｃｏｍ", 409, "email-already-in-use"},
		{"capitals: the same account", strings.ToUpper(addr), 409, "email-already-in-use"},
	} {
		r := e.do("POST", "/v1/signup/email-password", map[string]any{"email": tc.email, "password": password})
		require.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.Body)
		require.Equal(t, tc.code, r.errorCode(t), tc.name)
	}
	var n int64
	require.NoError(t, e.srv.DB.Raw(`select count(*) from auth.users where email::text ilike ?`, "%"+local[1:]+"%").Scan(&n).Error)
	require.Equal(t, int64(1), n, "one account")

	// Signing in with the full-width form finds the account.
	s := e.do("POST", "/v1/signin/email-password", map[string]any{"email": fw.String() + "@example.com", "password": password})
	require.Equal(t, 200, s.Status, "%s", s.Body)
	var p struct{ Session sessionBody }
	s.decode(t, &p)
	require.Equal(t, owner.User.ID, p.Session.User.ID)

	// IDN domains are stored in their ASCII form.
	idn := local + "@bücher.example"
	u := e.signUp(idn, nil)
	require.Equal(t, local+"@xn--bcher-kva.example", u.User.Email)
}

// Every flow that takes an email refuses what sign-up refuses, with the same
// 400 (table: route, body).
func TestEveryEmailFlowRefusesInvisibleCharacters(t *testing.T) {
	e, _ := newMailEnv(t, map[string]string{
		"AUTH_EMAIL_PASSWORDLESS_ENABLED": "true", "AUTH_OTP_EMAIL_ENABLED": "true",
		"HASURA_GRAPHQL_ADMIN_SECRET": opsAdminSecret, "AUTH_WEBAUTHN_ENABLED": "true",
		"AUTH_WEBAUTHN_RP_ORIGINS": "https://app.example.com", "AUTH_WEBAUTHN_RP_ID": "app.example.com",
	})
	bad := "alice\u200b@example.com"
	tok := e.signUp(email(t), nil).AccessToken
	for _, tc := range []struct {
		path string
		body map[string]any
		hdr  []header
	}{
		{"/v1/signup/email-password", map[string]any{"email": bad, "password": password}, nil},
		{"/v1/signin/email-password", map[string]any{"email": bad, "password": password}, nil},
		{"/v1/signin/passwordless/email", map[string]any{"email": bad}, nil},
		{"/v1/signin/otp/email", map[string]any{"email": bad}, nil},
		{"/v1/signin/otp/email/verify", map[string]any{"email": bad, "otp": "123456"}, nil},
		{"/v1/user/password/reset", map[string]any{"email": bad}, nil},
		{"/v1/user/email/send-verification-email", map[string]any{"email": bad}, nil},
		{"/v1/user/email/change", map[string]any{"newEmail": bad}, []header{bearer(tok)}},
		{"/v1/admin/users", map[string]any{"email": bad, "password": password}, []header{opsAdmin}},
		{"/v1/signup/webauthn", map[string]any{"email": bad}, nil},
		{"/v1/signin/webauthn", map[string]any{"email": bad}, nil},
	} {
		r := e.do("POST", tc.path, tc.body, tc.hdr...)
		require.Equal(t, 400, r.Status, "%s: %s", tc.path, r.Body)
		require.Equal(t, "invalid-request", r.errorCode(t), tc.path)
		require.Contains(t, string(r.Body), "invisible", tc.path)
	}
}
