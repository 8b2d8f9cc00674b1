package handlers_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/hasura"
)

func pemPair(t *testing.T, priv any, pub any) (string, string) {
	t.Helper()
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
}

func jwtSecret(t *testing.T, v map[string]any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestConfiguredSecrets signs with each HASURA_GRAPHQL_JWT_SECRET form and
// checks the tokens with Hasura's rules under that same secret.
func TestConfiguredSecrets(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rsaPriv, rsaPub := pemPair(t, rsaKey, &rsaKey.PublicKey)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecPriv, ecPub := pemPair(t, ecKey, &ecKey.PublicKey)

	cases := []struct {
		name      string
		secret    map[string]any
		published int // keys in the JWKS
		alg       string
	}{
		{"HS256", map[string]any{"type": "HS256", "key": strings.Repeat("k", 32)}, 0, "HS256"},
		{"HS512", map[string]any{"type": "HS512", "key": strings.Repeat("k", 64)}, 0, "HS512"},
		{"RS256", map[string]any{"type": "RS256", "key": rsaPub, "signing_key": rsaPriv, "kid": "rsa-1"}, 1, "RS256"},
		{"ES256 custom namespace and issuer", map[string]any{"type": "ES256", "key": ecPub, "signing_key": ecPriv, "claims_namespace": "hasura", "issuer": "my-auth", "audience": "my-app"}, 1, "ES256"},
		{"HS256 stringified at a path", map[string]any{"type": "HS256", "key": strings.Repeat("s", 40), "claims_namespace_path": "$.app.hasura", "claims_format": "stringified_json"}, 0, "HS256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, map[string]string{"HASURA_GRAPHQL_JWT_SECRET": jwtSecret(t, tc.secret)})
			r := e.do("GET", "/v1/.well-known/jwks.json", nil)
			require.Equal(t, 200, r.Status)
			var set struct {
				Keys []map[string]any `json:"keys"`
			}
			r.decode(t, &set)
			require.Len(t, set.Keys, tc.published, "an HS secret is never published: %s", r.Body)
			for _, k := range set.Keys {
				require.Equal(t, tc.alg, k["alg"])
				require.NotContains(t, k, "d")
			}

			s := e.signUp(email(t), nil)
			c := e.hasuraClaims(s.AccessToken)
			require.Equal(t, s.User.ID, c.SessionVariables["x-hasura-user-id"])
			if iss, ok := tc.secret["issuer"]; ok {
				require.Equal(t, iss, c.Payload["iss"])
				require.Equal(t, tc.secret["audience"], c.Payload["aud"])
			}
			if tc.published == 1 {
				// A JWKS consumer (Hasura with jwk_url, a function) verifies too.
				keys, err := hasura.ParseJWKS(r.Body)
				require.NoError(t, err)
				v, err := hasura.NewVerifier(hasura.VerifierConfig{Keys: keys, Secret: withoutKey(e.srv.Config.JWTSecret), Now: e.clock.Now})
				require.NoError(t, err)
				_, err = v.Verify(s.AccessToken, "")
				require.NoError(t, err)
			}
			// Bearer endpoints accept the server's own tokens under every secret form.
			require.Equal(t, 200, e.do("GET", "/v1/user", nil, bearer(s.AccessToken)).Status)
			require.Equal(t, 200, e.mustRefreshStatus(s.RefreshToken))
		})
	}
}

// withoutKey keeps a secret's claim options but none of its keys.
func withoutKey(s *hasura.JWTSecret) *hasura.JWTSecret {
	c := *s
	c.VerifyKey, c.SignKey, c.Key, c.SigningKey = nil, nil, "", ""
	return &c
}

func (e *env) mustRefreshStatus(tok string) int {
	e.t.Helper()
	return e.refresh(tok).Status
}
