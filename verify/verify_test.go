package verify_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/testsupport"
	"github.com/hasura-auth-go/auth/verify"
)

type key struct {
	kid  string
	priv ed25519.PrivateKey
}

func newKey(t *testing.T, kid string) key {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return key{kid, priv}
}

func (k key) sign(t *testing.T, now time.Time, claims map[string]any) string {
	t.Helper()
	payload := jwt.MapClaims{
		"sub": "u1", "iat": now.Unix(), "exp": now.Add(15 * time.Minute).Unix(),
		"https://hasura.io/jwt/claims": map[string]any{
			"x-hasura-allowed-roles":     []string{"user", "me"},
			"x-hasura-default-role":      "user",
			"x-hasura-user-id":           "u1",
			"x-hasura-user-is-anonymous": "false",
			"x-hasura-org-id":            "42",
		},
	}
	for k, v := range claims {
		payload[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, payload)
	tok.Header["kid"] = k.kid
	s, err := tok.SignedString(k.priv)
	require.NoError(t, err)
	return s
}

// jwksServer serves the keys it holds with the given max-age and counts fetches.
type jwksServer struct {
	*httptest.Server
	keys    atomic.Value // []key
	fetches atomic.Int64
	down    atomic.Bool
}

func newJWKSServer(t *testing.T, maxAge int, keys ...key) *jwksServer {
	s := &jwksServer{}
	s.keys.Store(keys)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		if s.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var set jose.JSONWebKeySet
		for _, k := range s.keys.Load().([]key) {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: "EdDSA", Use: "sig"})
		}
		w.Header().Set("Cache-Control", "public, max-age="+itoa(maxAge))
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(s.Close)
	return s
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestJWKSCachingFollowsMaxAge(t *testing.T) {
	clock := testsupport.NewClock()
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	srv := newJWKSServer(t, 300, k1)
	v, err := verify.FromJWKS(srv.URL, verify.WithClock(clock.Now), verify.WithMinRefetch(10*time.Second))
	require.NoError(t, err)
	ctx := context.Background()

	u, err := v.Token(ctx, k1.sign(t, clock.Now(), nil))
	require.NoError(t, err)
	require.Equal(t, "u1", u.ID)
	require.Equal(t, []string{"user", "me"}, u.Roles)
	require.Equal(t, "user", u.DefaultRole)
	require.False(t, u.IsAnonymous)
	require.Equal(t, "42", u.Claims["x-hasura-org-id"])
	for range 5 {
		_, err = v.Token(ctx, k1.sign(t, clock.Now(), nil))
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, srv.fetches.Load(), "cached for max-age")

	// A new key appears: an unknown kid refetches at once...
	srv.keys.Store([]key{k1, k2})
	_, err = v.Token(ctx, k2.sign(t, clock.Now(), nil))
	require.ErrorContains(t, err, "JWSInvalidSignature", "an unknown kid seconds after a fetch waits for the rate limit")
	clock.Advance(11 * time.Second)
	_, err = v.Token(ctx, k2.sign(t, clock.Now(), nil))
	require.NoError(t, err)
	require.EqualValues(t, 2, srv.fetches.Load())

	// ...but random kids cannot make it hammer the server.
	for i := range 20 {
		_, err := v.Token(ctx, newKey(t, "random-"+itoa(i)).sign(t, clock.Now(), nil))
		require.Error(t, err)
	}
	require.EqualValues(t, 2, srv.fetches.Load())

	// Past max-age it refetches.
	clock.Advance(301 * time.Second)
	_, err = v.Token(ctx, k1.sign(t, clock.Now(), nil))
	require.NoError(t, err)
	require.EqualValues(t, 3, srv.fetches.Load())
}

func TestJWKSOutageKeepsCachedKeys(t *testing.T) {
	clock := testsupport.NewClock()
	k1 := newKey(t, "k1")
	srv := newJWKSServer(t, 60, k1)
	v, err := verify.FromJWKS(srv.URL, verify.WithClock(clock.Now))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = v.Token(ctx, k1.sign(t, clock.Now(), nil))
	require.NoError(t, err)

	srv.down.Store(true)
	clock.Advance(2 * time.Minute) // cache expired, server down
	_, err = v.Token(ctx, k1.sign(t, clock.Now(), nil))
	require.NoError(t, err, "the cached set is used through the outage")
	fetches := srv.fetches.Load()
	for range 10 {
		_, err = v.Token(ctx, k1.sign(t, clock.Now(), nil))
		require.NoError(t, err)
	}
	require.Equal(t, fetches, srv.fetches.Load(), "no retry storm while down")

	srv.down.Store(false)
	clock.Advance(11 * time.Second)
	_, err = v.Token(ctx, k1.sign(t, clock.Now(), nil))
	require.NoError(t, err)
	require.Greater(t, srv.fetches.Load(), fetches, "tries again after the back-off")
}

func TestJWKSUnreachableAtFirstUse(t *testing.T) {
	srv := newJWKSServer(t, 60)
	srv.down.Store(true)
	v, err := verify.FromJWKS(srv.URL)
	require.NoError(t, err)
	_, err = v.Token(context.Background(), newKey(t, "k").sign(t, time.Now(), nil))
	require.ErrorContains(t, err, "JWKS unavailable")
}

func TestFromSecretAndRequest(t *testing.T) {
	secret := strings.Repeat("s", 32)
	t.Setenv("NHOST_JWT_SECRET", `{"type":"HS256","key":"`+secret+`"}`)
	v, err := verify.FromEnv()
	require.NoError(t, err)
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "u2", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		"https://hasura.io/jwt/claims": map[string]any{
			"x-hasura-allowed-roles": []string{"user", "editor"}, "x-hasura-default-role": "user",
			"x-hasura-user-id": "u2", "x-hasura-user-is-anonymous": "true",
		},
	})
	signed, err := tok.SignedString([]byte(secret))
	require.NoError(t, err)

	cases := []struct {
		name, auth, role string
		wantRole         string
		wantErr          string
	}{
		{"default role", "Bearer " + signed, "", "user", ""},
		{"role header", "Bearer " + signed, "editor", "editor", ""},
		{"role not allowed", "Bearer " + signed, "admin", "", "access-denied"},
		{"no header", "", "", "", ""},
		{"tampered", "Bearer " + signed[:len(signed)-2] + "xx", "", "", "invalid-jwt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			if tc.role != "" {
				r.Header.Set("X-Hasura-Role", tc.role)
			}
			u, err := v.Request(r)
			if tc.auth == "" {
				require.Error(t, err, "no token, no user")
				return
			}
			if tc.wantErr != "" {
				require.Error(t, err)
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantRole, u.Role)
			require.True(t, u.IsAnonymous)
			require.Equal(t, "u2", u.ID)
		})
	}
}

func TestFromEnvNeedsASecret(t *testing.T) {
	t.Setenv("NHOST_JWT_SECRET", "")
	t.Setenv("HASURA_GRAPHQL_JWT_SECRET", "")
	_, err := verify.FromEnv()
	require.Error(t, err)
	t.Setenv("HASURA_GRAPHQL_JWT_SECRET", `{"type":"HS256","key":"short"}`)
	_, err = verify.FromEnv()
	require.ErrorContains(t, err, "HASURA_GRAPHQL_JWT_SECRET")
	require.NotContains(t, err.Error(), "short")
}
