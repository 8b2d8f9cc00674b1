package hasura_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/hasura"
)

func jwksJSON(t *testing.T, keys ...jose.JSONWebKey) []byte {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	require.NoError(t, err)
	return b
}

func TestParseJWKS(t *testing.T) {
	k := getKeys(t)
	pubSet := jwksJSON(t,
		jose.JSONWebKey{Key: k.ed.Public(), KeyID: "ed", Algorithm: "EdDSA", Use: "sig"},
		jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "rsa", Algorithm: "RS256", Use: "sig"},
		jose.JSONWebKey{Key: &k.p256.PublicKey, KeyID: "ec", Algorithm: "ES256", Use: "sig"},
	)
	tests := []struct {
		name    string
		data    []byte
		types   []string
		wantErr string
	}{
		{name: "Ed25519, RSA and EC keys", data: pubSet, types: []string{"ed25519", "rsa", "ecdsa"}},
		{name: "empty set", data: []byte(`{"keys": []}`), types: []string{}},
		{name: "private key is reduced to public", data: jwksJSON(t, jose.JSONWebKey{Key: k.rsa, KeyID: "p"}), types: []string{"rsa"}},
		{name: "oct key becomes an HMAC secret", data: jwksJSON(t, jose.JSONWebKey{Key: []byte(hs32), KeyID: "hs"}), types: []string{"hmac"}},
		{name: "broken RSA key breaks the whole set", data: []byte(`{"keys": [
			{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
			{"kty": "RSA", "n": "!!not base64!!", "e": "AQAB"}]}`), wantErr: "JWKS key 1"},
		{name: "unknown key type", data: []byte(`{"keys": [{"kty": "XYZ", "x": "AA"}]}`), wantErr: "JWKS key 0"},
		{name: "EC point not on the curve", data: []byte(`{"keys": [{"kty": "EC", "crv": "P-256", "x": "AQ", "y": "AQ"}]}`), wantErr: "JWKS key 0"},
		{name: "missing keys", data: []byte(`{}`), wantErr: `missing "keys"`},
		{name: "not JSON", data: []byte(`{"keys": [`), wantErr: "not valid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := hasura.ParseJWKS(tc.data)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.Nil(t, keys)
				return
			}
			require.NoError(t, err)
			types := []string{}
			for _, key := range keys {
				switch key.(type) {
				case ed25519.PublicKey:
					types = append(types, "ed25519")
				case *rsa.PublicKey:
					types = append(types, "rsa")
				case *ecdsa.PublicKey:
					types = append(types, "ecdsa")
				case []byte:
					types = append(types, "hmac")
				default:
					types = append(types, "other")
				}
			}
			require.Equal(t, tc.types, types)
		})
	}

	// Keys from a JWKS verify tokens signed by any of them.
	keys, err := hasura.ParseJWKS(pubSet)
	require.NoError(t, err)
	v := newVerifier(t, mustSecret(t, map[string]any{"jwk_url": "https://auth.example.com/.well-known/jwks.json"}), keys...)
	for _, signed := range []struct {
		method jwt.SigningMethod
		key    any
	}{{jwt.SigningMethodEdDSA, k.ed}, {jwt.SigningMethodRS256, k.rsa}, {jwt.SigningMethodES256, k.p256}} {
		c, err := v.Verify(sign(t, signed.method, signed.key, basePayload()), "me")
		require.NoError(t, err, signed.method.Alg())
		require.Equal(t, "me", c.Role)
	}
	_, err = v.Verify(sign(t, jwt.SigningMethodRS256, k.rsa2, basePayload()), "")
	requireHasuraErr(t, err, "invalid-jwt", "JWSInvalidSignature")
}
