package handlers_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func mustUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	require.NoError(t, err)
	return id
}

func TestSystemEndpoints(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/v1/healthz", "/healthz"} {
		r := e.do("GET", path, nil)
		require.Equal(t, 200, r.Status, path)
		require.JSONEq(t, `"OK"`, string(r.Body))
		contract(t, "/healthz", "get", r)
		require.Equal(t, 200, e.do("HEAD", path, nil).Status)
	}
	r := e.do("GET", "/v1/version", nil)
	require.Equal(t, 200, r.Status)
	contract(t, "/version", "get", r)

	r = e.do("GET", "/v1/.well-known/jwks.json", nil)
	require.Equal(t, 200, r.Status)
	require.Equal(t, "public, max-age=300", r.Header.Get("Cache-Control"))
	etag := r.Header.Get("ETag")
	require.NotEmpty(t, etag)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	r.decode(t, &set)
	require.Len(t, set.Keys, 1)
	k := set.Keys[0]
	require.Equal(t, "OKP", k["kty"])
	require.Equal(t, "Ed25519", k["crv"])
	require.Equal(t, "EdDSA", k["alg"])
	require.Equal(t, "sig", k["use"])
	require.NotEmpty(t, k["kid"])
	require.NotContains(t, k, "d", "never the private part")
	require.Equal(t, 304, e.do("GET", "/v1/.well-known/jwks.json", nil, header{"If-None-Match", etag}).Status)

	// The key lives in the database: a second instance signs with the same one.
	other := newEnv(t, nil)
	r2 := other.do("GET", "/v1/.well-known/jwks.json", nil)
	require.Equal(t, etag, r2.Header.Get("ETag"))
	s := other.signUp(email(t), nil)
	e.clock.Advance(5 * time.Second) // the second instance's clock started later
	e.hasuraClaims(s.AccessToken)
}

func TestRoutingErrors(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/v1/nope", 404, "route-not-found"},
		{"POST", "/signup/email-password", 404, "route-not-found"}, // prefix required
		{"GET", "/v1/token", 405, "method-not-allowed"},
	}
	for _, tc := range cases {
		r := e.do(tc.method, tc.path, nil)
		require.Equal(t, tc.status, r.Status, "%s %s: %s", tc.method, tc.path, r.Body)
		require.Equal(t, tc.code, r.errorCode(t))
	}
}

func TestCORSPreflight(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("OPTIONS", "/v1/token", nil,
		header{"Origin", "https://app.example.com"},
		header{"Access-Control-Request-Method", "POST"},
		header{"Access-Control-Request-Headers", "content-type, authorization"})
	require.Equal(t, 204, r.Status)
	require.Equal(t, "https://app.example.com", r.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "true", r.Header.Get("Access-Control-Allow-Credentials"))
	require.Contains(t, r.Header.Get("Access-Control-Allow-Methods"), "POST")
}
