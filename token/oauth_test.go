package token_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/hasura"
	"github.com/hasura-auth-go/auth/testsupport"
	"github.com/hasura-auth-go/auth/token"
)

// staticService signs with a configured HASURA_GRAPHQL_JWT_SECRET.
func staticService(t *testing.T, secretJSON string, clock *testsupport.Clock) *token.Service {
	t.Helper()
	sec, err := hasura.ParseJWTSecret(secretJSON)
	require.NoError(t, err)
	s, err := token.New(context.Background(), token.Options{Secret: sec, Issuer: "test", TTL: time.Minute, Now: clock.Now})
	require.NoError(t, err)
	return s
}

func rsaSecret(t *testing.T) (string, *rsa.PrivateKey) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	privPEM, pubPEM, err := token.EncodePEM(priv)
	require.NoError(t, err)
	b, err := json.Marshal(map[string]string{"type": "RS256", "key": pubPEM, "signing_key": privPEM})
	require.NoError(t, err)
	return string(b), priv
}

// A shared secret cannot sign what applications verify.
func TestSharedSecretIsNotPublishable(t *testing.T) {
	s := staticService(t, `{"type":"HS256","key":"0123456789abcdef0123456789abcdef"}`, testsupport.NewClock())
	require.False(t, s.Publishable())
	_, err := s.SignJWT(map[string]any{"sub": "x"}, token.TypeIDToken)
	require.ErrorIs(t, err, token.ErrNotPublishable)
}

// Tokens for applications: signed with the published key, verified only
// with that key's algorithm and the expected typ, until they expire.
func TestApplicationTokensSignAndVerify(t *testing.T) {
	clock := testsupport.NewClock()
	secret, priv := rsaSecret(t)
	s := staticService(t, secret, clock)
	require.True(t, s.Publishable())
	require.Equal(t, []string{"RS256"}, s.SigningAlgorithms())

	exp := clock.Now().Add(time.Minute).Unix()
	signed, err := s.SignJWT(map[string]any{"sub": "u", "exp": exp}, token.TypeAccessToken)
	require.NoError(t, err)
	require.Equal(t, "RS256", signed.Alg)
	p, err := s.VerifyJWT(signed.Raw, token.TypeAccessToken)
	require.NoError(t, err)
	require.Equal(t, "u", p["sub"])

	_, err = s.VerifyJWT(signed.Raw, token.TypeIDToken)
	require.ErrorIs(t, err, token.ErrInvalidJWT, "another typ")

	var h struct{ Kid string }
	require.NoError(t, json.Unmarshal([]byte(headerOf(t, signed.Raw)), &h))
	forge := func(method jwt.SigningMethod, key any) string {
		tk := jwt.NewWithClaims(method, jwt.MapClaims{"sub": "u", "exp": exp})
		tk.Header["typ"], tk.Header["kid"] = token.TypeAccessToken, h.Kid
		raw, err := tk.SignedString(key)
		require.NoError(t, err)
		return raw
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	for name, raw := range map[string]string{
		"PS256 with the published RSA key": forge(jwt.SigningMethodPS256, priv),
		"RS384 with the published RSA key": forge(jwt.SigningMethodRS384, priv),
		"another RSA key under the kid":    forge(jwt.SigningMethodRS256, other),
		"HS256 keyed with the kid":         forge(jwt.SigningMethodHS256, []byte(h.Kid)),
	} {
		_, err := s.VerifyJWT(raw, token.TypeAccessToken)
		require.ErrorIs(t, err, token.ErrInvalidJWT, name)
	}
	_, err = s.VerifyJWT(forge(jwt.SigningMethodRS256, priv), token.TypeAccessToken)
	require.NoError(t, err, "the control: the same token, properly signed")

	clock.Advance(time.Minute)
	_, err = s.VerifyJWT(signed.Raw, token.TypeAccessToken)
	require.ErrorIs(t, err, token.ErrInvalidJWT, "expired")
}

// Session verification refuses an application's access token even when it
// carries Hasura's claims (graphql scope): it must not act on the account.
func TestVerifyRefusesApplicationTokens(t *testing.T) {
	clock := testsupport.NewClock()
	secret, _ := rsaSecret(t)
	s := staticService(t, secret, clock)
	payload := map[string]any{"sub": "7f0a3f60-8f2e-4a57-9a3b-1a0b2c3d4e5f", "iat": clock.Now().Unix(), "exp": clock.Now().Add(time.Minute).Unix(),
		"https://hasura.io/jwt/claims": map[string]any{"x-hasura-allowed-roles": []string{"user"}, "x-hasura-default-role": "user",
			"x-hasura-user-id": "7f0a3f60-8f2e-4a57-9a3b-1a0b2c3d4e5f"}}
	plain, err := s.SignJWT(payload, "JWT")
	require.NoError(t, err)
	_, err = s.Verify(plain.Raw)
	require.NoError(t, err, "the control")
	payload[token.ClientIDClaim] = "nhoa_0123456789abcdef"
	app, err := s.SignJWT(payload, token.TypeAccessToken)
	require.NoError(t, err)
	_, err = s.Verify(app.Raw)
	require.Error(t, err)
}

// at_hash as OpenID Connect Core's example (appendix A.3) computes it.
func TestAccessTokenHash(t *testing.T) {
	h, err := token.AccessTokenHash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256")
	require.NoError(t, err)
	require.Equal(t, "77QmUPtjPfzWtF2AnpK9RQ", h)
	for alg, n := range map[string]int{"ES384": 32, "PS256": 22, "EdDSA": 43, "RS512": 43} {
		h, err := token.AccessTokenHash("x", alg)
		require.NoError(t, err)
		require.Len(t, h, n, alg)
	}
	_, err = token.AccessTokenHash("x", "none")
	require.Error(t, err)
}
