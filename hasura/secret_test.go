package hasura_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/hasura"
)

func TestParseJWTSecretAccepts(t *testing.T) {
	k := getKeys(t)
	rsaPub := pkixPEM(t, &k.rsa.PublicKey)
	tests := []struct {
		name  string
		in    map[string]any
		check func(t *testing.T, s *hasura.JWTSecret)
	}{
		{"HS256 with 32 chars", map[string]any{"type": "HS256", "key": hs32}, func(t *testing.T, s *hasura.JWTSecret) {
			require.Equal(t, "HS256", s.Type)
			require.Equal(t, []byte(hs32), s.VerifyKey)
			require.Equal(t, []byte(hs32), s.SignKey)
			require.Equal(t, hasura.DefaultClaimsNamespace, s.ClaimsNamespace)
			require.Equal(t, "json", s.ClaimsFormat)
			require.Equal(t, hasura.HeaderSource{Type: "Authorization"}, s.Header)
			require.Nil(t, s.Audience)
			require.Nil(t, s.ClaimsMap)
		}},
		{"HS384 with 48 chars", map[string]any{"type": "HS384", "key": hs48}, nil},
		{"HS512 with 64 chars", map[string]any{"type": "HS512", "key": hs64}, nil},
		{"HS256 signing_key equal to key", map[string]any{"type": "HS256", "key": hs32, "signing_key": hs32}, nil},
		{"RS256 PKIX public key", map[string]any{"type": "RS256", "key": rsaPub}, func(t *testing.T, s *hasura.JWTSecret) {
			require.True(t, k.rsa.PublicKey.Equal(s.VerifyKey))
			require.Nil(t, s.SignKey)
		}},
		{"RS384 PKCS1 public key", map[string]any{"type": "RS384", "key": pemEncode("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey))}, nil},
		{"RS512 certificate", map[string]any{"type": "RS512", "key": certPEM(t, k.rsa)}, func(t *testing.T, s *hasura.JWTSecret) {
			require.True(t, k.rsa.PublicKey.Equal(s.VerifyKey))
		}},
		{"RS256 with PKCS1 signing_key and kid", map[string]any{
			"type": "RS256", "key": rsaPub, "kid": "key-1",
			"signing_key": pemEncode("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.rsa)),
		}, func(t *testing.T, s *hasura.JWTSecret) {
			require.Equal(t, "key-1", s.KID)
			priv, ok := s.SignKey.(*rsa.PrivateKey)
			require.True(t, ok)
			require.True(t, k.rsa.Equal(priv))
		}},
		{"ES256 with SEC1 signing_key", map[string]any{
			"type": "ES256", "key": pkixPEM(t, &k.p256.PublicKey),
			"signing_key": func() string { der, _ := x509.MarshalECPrivateKey(k.p256); return pemEncode("EC PRIVATE KEY", der) }(),
		}, func(t *testing.T, s *hasura.JWTSecret) {
			_, ok := s.VerifyKey.(*ecdsa.PublicKey)
			require.True(t, ok)
			_, ok = s.SignKey.(*ecdsa.PrivateKey)
			require.True(t, ok)
		}},
		{"ES384 certificate", map[string]any{"type": "ES384", "key": certPEM(t, k.p384)}, nil},
		{"ES512", map[string]any{"type": "ES512", "key": pkixPEM(t, &k.p521.PublicKey)}, nil},
		{"Ed25519 with PKCS8 signing_key", map[string]any{
			"type": "Ed25519", "key": pkixPEM(t, k.ed.Public()), "signing_key": pkcs8PEM(t, k.ed),
		}, func(t *testing.T, s *hasura.JWTSecret) {
			_, ok := s.VerifyKey.(ed25519.PublicKey)
			require.True(t, ok)
			_, ok = s.SignKey.(ed25519.PrivateKey)
			require.True(t, ok)
		}},
		{"EdDSA alias", map[string]any{"type": "EdDSA", "key": pkixPEM(t, k.ed.Public())}, func(t *testing.T, s *hasura.JWTSecret) {
			require.Equal(t, "Ed25519", s.Type)
			require.Equal(t, jwt.SigningMethodEdDSA, s.SigningMethod())
		}},
		{"jwk_url without type", map[string]any{"jwk_url": "https://auth.example.com/.well-known/jwks.json"}, func(t *testing.T, s *hasura.JWTSecret) {
			require.Nil(t, s.VerifyKey)
			require.Equal(t, "https://auth.example.com/.well-known/jwks.json", s.JWKURL)
		}},
		{"jwk_url with signing_key", map[string]any{
			"jwk_url": "https://auth.example.com/jwks.json", "type": "RS256", "signing_key": pkcs8PEM(t, k.rsa),
		}, func(t *testing.T, s *hasura.JWTSecret) {
			require.NotNil(t, s.SignKey)
			require.Nil(t, s.VerifyKey)
		}},
		{"claims_namespace", map[string]any{"type": "HS256", "key": hs32, "claims_namespace": "hasura"}, func(t *testing.T, s *hasura.JWTSecret) {
			require.Equal(t, "hasura", s.ClaimsNamespace)
		}},
		{"claims_namespace_path root", map[string]any{"type": "HS256", "key": hs32, "claims_namespace_path": "$"}, func(t *testing.T, s *hasura.JWTSecret) {
			require.Equal(t, "$", s.ClaimsNamespacePath)
			require.Empty(t, s.ClaimsNamespace)
		}},
		{"claims_namespace_path nested with brackets", map[string]any{"type": "HS256", "key": hs32, "claims_namespace_path": "$.hasura['claims.v1'][0]"}, nil},
		{"stringified_json", map[string]any{"type": "HS256", "key": hs32, "claims_format": "stringified_json"}, func(t *testing.T, s *hasura.JWTSecret) {
			require.Equal(t, "stringified_json", s.ClaimsFormat)
		}},
		{"claims_map", map[string]any{"type": "HS256", "key": hs32, "claims_map": map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$.roles"},
			"x-hasura-default-role":  "user",
			"x-hasura-user-id":       map[string]any{"path": "$.sub", "default": "anon"},
		}}, func(t *testing.T, s *hasura.JWTSecret) {
			require.Equal(t, "user", s.ClaimsMap["x-hasura-default-role"])
		}},
		{"audience string", map[string]any{"type": "HS256", "key": hs32, "audience": "app"}, func(t *testing.T, s *hasura.JWTSecret) {
			require.Equal(t, []string{"app"}, s.Audience)
		}},
		{"audience list, issuer, skew, cookie", map[string]any{
			"type": "HS256", "key": hs32, "audience": []string{"a", "b"}, "issuer": "hasura-auth",
			"allowed_skew": 2.5, "header": map[string]any{"type": "cookie", "name": "jwt"},
		}, func(t *testing.T, s *hasura.JWTSecret) {
			require.Equal(t, []string{"a", "b"}, s.Audience)
			require.Equal(t, "hasura-auth", s.Issuer)
			require.Equal(t, 2500*time.Millisecond, s.AllowedSkew)
			require.Equal(t, hasura.HeaderSource{Type: "Cookie", Name: "jwt"}, s.Header)
		}},
		{"null options count as absent", map[string]any{
			"type": "HS256", "key": hs32, "jwk_url": nil, "claims_namespace": nil, "audience": nil, "claims_map": nil,
		}, func(t *testing.T, s *hasura.JWTSecret) {
			require.Equal(t, hasura.DefaultClaimsNamespace, s.ClaimsNamespace)
			require.Nil(t, s.Audience)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := hasura.ParseJWTSecret(secretJSON(t, tc.in))
			require.NoError(t, err)
			if tc.check != nil {
				tc.check(t, s)
			}
			// Every accepted secret must also make a verifier.
			_, err = hasura.NewVerifier(hasura.VerifierConfig{Secret: s})
			require.NoError(t, err)
		})
	}
}

func TestParseJWTSecretRejects(t *testing.T) {
	k := getKeys(t)
	rsaPub := pkixPEM(t, &k.rsa.PublicKey)
	short := strings.Repeat("s", 31)
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"not JSON", `{"type": "HS256", "key": "` + short, "not valid JSON"},
		{"not an object", `["HS256"]`, "expected"},
		{"trailing data", `{"type":"HS256","key":"` + hs32 + `"} x`, "unexpected data"},
		{"key and jwk_url", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "jwk_url": "https://x.example/jwks"}), "key, jwk_url both cannot be present"},
		{"neither key nor jwk_url", `{"type": "HS256"}`, "key and jwk_url both cannot be empty"},
		{"both namespace options", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "claims_namespace": "a", "claims_namespace_path": "$.a"}), "claims_namespace and claims_namespace_path both cannot be set"},
		{"bad namespace path", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "claims_namespace_path": "$.a b"}), "invalid JSON path claims_namespace_path error"},
		{"stringified at root path", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "claims_namespace_path": "$", "claims_format": "stringified_json"}), "stringified_json cannot be used"},
		{"HS256 key too short", secretJSON(t, map[string]any{"type": "HS256", "key": short}), "Key size too small; should be atleast 32 characters"},
		{"HS384 key too short", secretJSON(t, map[string]any{"type": "HS384", "key": hs48[:47]}), "should be atleast 48 characters"},
		{"HS512 key too short", secretJSON(t, map[string]any{"type": "HS512", "key": hs64[:63]}), "should be atleast 64 characters"},
		{"unknown type", secretJSON(t, map[string]any{"type": "HS1024", "key": hs64}), "Key type: HS1024 is not supported"},
		{"PS256 is not accepted by Hasura", secretJSON(t, map[string]any{"type": "PS256", "key": rsaPub}), "Key type: PS256 is not supported"},
		{"type is case-sensitive", secretJSON(t, map[string]any{"type": "hs256", "key": hs32}), "is not supported"},
		{"missing type", secretJSON(t, map[string]any{"key": hs32}), `"type" is required`},
		{"type not a string", `{"type": 256, "key": "` + hs32 + `"}`, "type must be a string"},
		{"no PEM", secretJSON(t, map[string]any{"type": "RS256", "key": "not a pem " + short}), "No pem found"},
		{"PEM that does not parse", secretJSON(t, map[string]any{"type": "RS256", "key": pemEncode("PUBLIC KEY", []byte("garbage-bytes"))}), "Could not decode PEM"},
		{"private key as key", secretJSON(t, map[string]any{"type": "RS256", "key": pkcs8PEM(t, k.rsa)}), "put the private key in signing_key"},
		{"RS256 with EC key", secretJSON(t, map[string]any{"type": "RS256", "key": pkixPEM(t, &k.p256.PublicKey)}), "does not fit type RS256"},
		{"ES256 with P-384 key", secretJSON(t, map[string]any{"type": "ES256", "key": pkixPEM(t, &k.p384.PublicKey)}), "curve P-384, which does not fit type ES256"},
		{"Ed25519 with RSA key", secretJSON(t, map[string]any{"type": "Ed25519", "key": rsaPub}), "an RSA key, which does not fit type Ed25519"},
		{"ES256 with RSA certificate", secretJSON(t, map[string]any{"type": "ES256", "key": certPEM(t, k.rsa)}), "does not fit type ES256"},
		{"signing_key of another key pair", secretJSON(t, map[string]any{"type": "RS256", "key": rsaPub, "signing_key": pkcs8PEM(t, k.rsa2)}), "signing_key does not match key"},
		{"signing_key of wrong type", secretJSON(t, map[string]any{"type": "RS256", "key": rsaPub, "signing_key": pkcs8PEM(t, k.ed)}), "signing_key: key is an Ed25519 key"},
		{"signing_key not PEM", secretJSON(t, map[string]any{"type": "RS256", "key": rsaPub, "signing_key": short}), "signing_key: could not decode PEM"},
		{"HS signing_key differs from key", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "signing_key": hs48}), "signing_key does not match key"},
		{"bad claims_format", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "claims_format": "yaml"}), "claims_format must be"},
		{"claims_map without allowed roles", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "claims_map": map[string]any{"x-hasura-default-role": "user"}}), "x-hasura-allowed-roles is expected but not found"},
		{"claims_map without default role", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "claims_map": map[string]any{"x-hasura-allowed-roles": []string{"user"}}}), "x-hasura-default-role is expected but not found"},
		{"claims_map with bad path", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "claims_map": map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$$roles"}, "x-hasura-default-role": "user"}}), "x-hasura-allowed-roles"},
		{"claims_map with empty role", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "claims_map": map[string]any{
			"x-hasura-allowed-roles": []string{"user", ""}, "x-hasura-default-role": "user"}}), "empty string not allowed"},
		{"claims_map with numeric value", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "claims_map": map[string]any{
			"x-hasura-allowed-roles": []string{"user"}, "x-hasura-default-role": "user", "x-hasura-org": 7}}), "x-hasura-org"},
		{"audience not a string", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "audience": 3}), "audience"},
		{"allowed_skew not a number", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "allowed_skew": "5"}), "allowed_skew"},
		{"header of unknown type", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "header": map[string]any{"type": "Query"}}), "expected 'type' is 'Authorization' or 'Cookie'"},
		{"cookie header without name", secretJSON(t, map[string]any{"type": "HS256", "key": hs32, "header": map[string]any{"type": "Cookie"}}), `"name" is required`},
		{"relative jwk_url", secretJSON(t, map[string]any{"jwk_url": "/jwks.json"}), "jwk_url is not an absolute URL"},
		{"signing_key with jwk_url but no type", secretJSON(t, map[string]any{"jwk_url": "https://x.example/jwks", "signing_key": pkcs8PEM(t, k.rsa)}), "needs a supported type"},
	}
	secrets := []string{short, hs32, hs48, hs64, "garbage-bytes", strings.Split(rsaPub, "\n")[1], strings.Split(pkcs8PEM(t, k.rsa2), "\n")[1]}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := hasura.ParseJWTSecret(tc.raw)
			require.Error(t, err)
			require.Nil(t, s)
			require.Contains(t, err.Error(), tc.want)
			for _, secret := range secrets {
				require.NotContains(t, err.Error(), secret, "error leaks key material")
			}
		})
	}
}

func TestJWTSecretFormattingRedactsKeys(t *testing.T) {
	s := mustSecret(t, map[string]any{"type": "HS256", "key": hs32})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v", *s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s), s.String()} {
		require.NotContains(t, out, hs32)
		require.Contains(t, out, "HS256")
	}
}

func TestSigningMethod(t *testing.T) {
	tests := []struct {
		typ  string
		want jwt.SigningMethod
	}{
		{"HS256", jwt.SigningMethodHS256}, {"HS384", jwt.SigningMethodHS384}, {"HS512", jwt.SigningMethodHS512},
		{"RS256", jwt.SigningMethodRS256}, {"RS384", jwt.SigningMethodRS384}, {"RS512", jwt.SigningMethodRS512},
		{"ES256", jwt.SigningMethodES256}, {"ES384", jwt.SigningMethodES384}, {"ES512", jwt.SigningMethodES512},
		{"Ed25519", jwt.SigningMethodEdDSA}, {"EdDSA", jwt.SigningMethodEdDSA},
		{"PS256", nil}, {"", nil}, {"none", nil},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			s := &hasura.JWTSecret{Type: tc.typ}
			if tc.want == nil {
				require.Nil(t, s.SigningMethod())
				return
			}
			require.Equal(t, tc.want, s.SigningMethod())
		})
	}
	var nilSecret *hasura.JWTSecret
	require.Nil(t, nilSecret.SigningMethod())
}

// Tokens signed with SignKey and SigningMethod must verify under the same secret.
func TestSignKeyRoundTrip(t *testing.T) {
	k := getKeys(t)
	tests := []map[string]any{
		{"type": "HS256", "key": hs32},
		{"type": "HS512", "key": hs64},
		{"type": "RS256", "key": pkixPEM(t, &k.rsa.PublicKey), "signing_key": pkcs8PEM(t, k.rsa)},
		{"type": "ES256", "key": pkixPEM(t, &k.p256.PublicKey), "signing_key": pkcs8PEM(t, k.p256)},
		{"type": "ES384", "key": pkixPEM(t, &k.p384.PublicKey), "signing_key": pkcs8PEM(t, k.p384)},
		{"type": "ES512", "key": pkixPEM(t, &k.p521.PublicKey), "signing_key": pkcs8PEM(t, k.p521)},
		{"type": "Ed25519", "key": pkixPEM(t, k.ed.Public()), "signing_key": pkcs8PEM(t, k.ed)},
	}
	for _, in := range tests {
		t.Run(in["type"].(string), func(t *testing.T) {
			s := mustSecret(t, in)
			tok := sign(t, s.SigningMethod(), s.SignKey, basePayload())
			c, err := newVerifier(t, s).Verify(tok, "")
			require.NoError(t, err)
			require.Equal(t, "user", c.Role)
		})
	}
}
