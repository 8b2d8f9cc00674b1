package handlers

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIssuedRefreshToken(t *testing.T) {
	const tok = "5b7c2f0e-8a4e-4c1e-9a57-3f1d2c9e8b10"
	json := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	cases := []struct {
		name   string
		status int
		hd     http.Header
		body   string
		want   string
	}{
		{"SessionPayload", 200, json, `{"session":{"accessToken":"a","refreshToken":"` + tok + `"}}`, tok},
		{"bare Session (/token)", 200, json, `{"accessToken":"a","refreshToken":"` + tok + `"}`, tok},
		{"no session (verification pending)", 200, json, `{"session":null}`, ""},
		{"MFA ticket", 200, json, `{"session":null,"mfa":{"ticket":"mfaTotp:x"}}`, ""},
		{"not a uuid", 200, json, `{"refreshToken":"x"}`, ""},
		{"error", 401, json, `{"refreshToken":"` + tok + `"}`, ""},
		{"not JSON", 200, http.Header{"Content-Type": {"text/plain"}}, `{"refreshToken":"` + tok + `"}`, ""},
		{"email link redirect", 302, http.Header{"Location": {"https://app.example.com/welcome?refreshToken=" + tok + "&type=signinPasswordless"}}, "", tok},
		{"redirect with an error", 302, http.Header{"Location": {"https://app.example.com/?error=invalid-ticket"}}, "", ""},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, issuedRefreshToken(tc.status, tc.hd, []byte(tc.body)), tc.name)
	}
}
