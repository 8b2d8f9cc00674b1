package handlers_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/testsupport"
)

func TestAdminKeyRotation(t *testing.T) {
	const secret = "admin-secret-for-tests"
	// Its own database: rotating changes the keys every other test would see.
	url, drop, err := testsupport.CreateDB(context.Background())
	require.NoError(t, err)
	t.Cleanup(drop)
	e := newEnv(t, map[string]string{"HASURA_GRAPHQL_DATABASE_URL": url, "HASURA_GRAPHQL_ADMIN_SECRET": secret, "AUTH_JWKS_MAX_AGE": "120"})
	admin := header{"X-Hasura-Admin-Secret", secret}

	r := e.do("POST", "/v1/admin/keys/rotate", map[string]any{"algorithm": "ES384"}, admin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var k struct {
		KID, Algorithm, State string
		ActivatesAt           time.Time
		Encrypted             bool
	}
	r.decode(t, &k)
	require.Equal(t, "ES384", k.Algorithm)
	require.Equal(t, "pending", k.State)
	require.Equal(t, e.clock.Now().Add(150*time.Second), k.ActivatesAt.In(time.Local), "max-age + reload period")
	require.NotContains(t, string(r.Body), "PRIVATE")

	r = e.do("GET", "/v1/admin/keys", nil, admin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Contains(t, string(r.Body), k.KID)
	require.NotContains(t, string(r.Body), "PRIVATE")

	// Published at once, signing only after max-age.
	jwks := string(e.do("GET", "/v1/.well-known/jwks.json", nil).Body)
	require.Contains(t, jwks, k.KID)
	s := e.signUp(email(t), nil)
	require.NotContains(t, headerJSON(t, s.AccessToken), k.KID)
	e.clock.Advance(151 * time.Second)
	s = e.signUp(email(t), nil)
	require.Contains(t, headerJSON(t, s.AccessToken), k.KID)
	e.hasuraClaims(s.AccessToken)

	cases := []struct {
		name    string
		config  map[string]string
		headers []header
		body    any
		status  int
		code    string
	}{
		{"no admin secret configured", map[string]string{}, []header{admin}, nil, 409, "disabled-endpoint"},
		{"wrong secret", nil, []header{{"X-Hasura-Admin-Secret", "nope"}}, nil, 401, "unauthorized"},
		{"missing secret", nil, nil, nil, 401, "unauthorized"},
		{"unknown algorithm", nil, []header{admin}, map[string]any{"algorithm": "none"}, 400, "invalid-request"},
		{"configured HS secret", map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": secret, "HASURA_GRAPHQL_JWT_SECRET": `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `"}`}, []header{admin}, nil, 409, "disabled-endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := e
			if tc.config != nil {
				tc.config["HASURA_GRAPHQL_DATABASE_URL"] = url
				env = newEnv(t, tc.config)
			}
			r := env.do("POST", "/v1/admin/keys/rotate", tc.body, tc.headers...)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.Equal(t, tc.code, r.errorCode(t))
		})
	}
}

func headerJSON(t *testing.T, tok string) string {
	t.Helper()
	head, _, _ := strings.Cut(tok, ".")
	return string(mustB64(t, head))
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}
