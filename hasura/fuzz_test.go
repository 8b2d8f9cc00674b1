package hasura_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hasura-auth-go/auth/hasura"
)

func FuzzParseJWTSecret(f *testing.F) {
	k := getKeys(f)
	seeds := []map[string]any{
		{"type": "HS256", "key": hs32},
		{"type": "HS512", "key": hs64, "claims_namespace_path": "$.hasura['claims']", "claims_format": "stringified_json"},
		{"type": "HS256", "key": hs32, "claims_namespace_path": "$"},
		{"type": "HS384", "key": hs48, "claims_namespace": "hasura", "audience": []string{"a"}, "issuer": "i", "allowed_skew": 3},
		{"type": "HS256", "key": hs32, "claims_map": map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$.roles", "default": []string{"user"}},
			"x-hasura-default-role":  "user",
			"x-hasura-user-id":       map[string]any{"path": "$.sub"},
		}},
		{"type": "HS256", "key": hs32, "header": map[string]any{"type": "Cookie", "name": "jwt"}},
		{"type": "RS256", "key": pkixPEM(f, &k.rsa.PublicKey), "signing_key": pkcs8PEM(f, k.rsa)},
		{"type": "ES256", "key": pkixPEM(f, &k.p256.PublicKey)},
		{"type": "Ed25519", "key": pkixPEM(f, k.ed.Public())},
		{"jwk_url": "https://auth.example.com/.well-known/jwks.json"},
		{"type": "HS256", "key": hs32, "jwk_url": "https://x.example/jwks"},
		{"type": "PS256", "key": pkixPEM(f, &k.rsa.PublicKey)},
	}
	for _, s := range seeds {
		f.Add(secretJSON(f, s))
	}
	f.Add(`{"type":"HS256","key":"short"}`)
	f.Add(`{"type":"HS256","key":"` + hs32 + `","claims_namespace_path":"$.a[0]"}`)
	f.Add(`null`)
	f.Add(`{`)

	const vocabulary = "invalid HASURA_GRAPHQL_JWT_SECRET: Invalid JWK: Could not decode PEM: No pem found " +
		"key and jwk_url both cannot be empty key, jwk_url both cannot be present claims_namespace_path"
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := hasura.ParseJWTSecret(raw)
		if err != nil {
			check(t, s == nil, "secret returned with an error")
			var fields map[string]any
			if json.Unmarshal([]byte(raw), &fields) != nil {
				return
			}
			echo, _ := json.Marshal([]any{fields["type"], fields["claims_namespace_path"], fields["claims_map"], fields["claims_namespace"]})
			for _, name := range []string{"key", "signing_key"} {
				secret, _ := fields[name].(string)
				if len(secret) >= 20 && strings.Contains(err.Error(), secret) &&
					!strings.Contains(string(echo), secret) && !strings.Contains(vocabulary, secret) {
					t.Fatalf("error leaks %s: %v", name, err)
				}
			}
			return
		}
		check(t, s.ClaimsFormat == "json" || s.ClaimsFormat == "stringified_json", "claims format %q", s.ClaimsFormat)
		check(t, (s.ClaimsNamespace == "") != (s.ClaimsNamespacePath == ""), "exactly one namespace option")
		check(t, (s.Key == "") != (s.JWKURL == ""), "exactly one of key and jwk_url")
		if s.JWKURL == "" {
			check(t, s.VerifyKey != nil && s.SigningMethod() != nil, "key without verify key or method")
		}
		if key, ok := s.VerifyKey.([]byte); ok {
			min := map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}[s.Type]
			check(t, min > 0 && len(key) >= min, "short HS key accepted for %s", s.Type)
		}
		v, err := hasura.NewVerifier(hasura.VerifierConfig{Secret: s, Now: func() time.Time { return testNow }})
		check(t, err == nil, "accepted secret rejected by NewVerifier: %v", err)

		// Whatever PlaceClaims writes, a verifier with the same secret must find.
		payload := map[string]any{"sub": "u1", "iat": testNow.Unix(), "exp": testNow.Unix() + 60}
		if err := s.PlaceClaims(payload, hasuraClaims()); err != nil || s.ClaimsMap != nil || s.Issuer != "" {
			return
		}
		hsKey, ok := s.SignKey.([]byte)
		if !ok {
			return
		}
		tok, err := jwt.NewWithClaims(s.SigningMethod(), jwt.MapClaims(payload)).SignedString(hsKey)
		check(t, err == nil, "signing: %v", err)
		c, err := v.Verify(tok, "")
		check(t, err == nil, "token with placed claims rejected: %v", err)
		check(t, c.Role == "user", "role %q", c.Role)
	})
}

func FuzzVerify(f *testing.F) {
	secrets := []*hasura.JWTSecret{
		mustSecret(f, map[string]any{"type": "HS256", "key": hs64, "issuer": "hasura-auth", "audience": []string{"app"}}),
		mustSecret(f, map[string]any{"type": "HS256", "key": hs64, "claims_format": "stringified_json", "allowed_skew": 1}),
		mustSecret(f, map[string]any{"type": "HS256", "key": hs64, "claims_namespace_path": "$"}),
		mustSecret(f, map[string]any{"type": "HS256", "key": hs64, "claims_map": map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$.roles"},
			"x-hasura-default-role":  map[string]any{"path": "$.role", "default": "user"},
			"x-hasura-user-id":       map[string]any{"path": "$.sub", "default": "anon"},
		}}),
	}
	verifiers := make([]*hasura.Verifier, len(secrets))
	for i, s := range secrets {
		verifiers[i] = newVerifier(f, s)
	}

	p := basePayload()
	f.Add(mustJSON(p), "", uint8(0))
	f.Add(mustJSON(p), "me", uint8(4))
	f.Add(mustJSON(p), "admin", uint8(8))
	p["exp"] = now
	f.Add(mustJSON(p), "", uint8(0))
	p["exp"], p["nbf"], p["aud"] = json.Number("1700000000.000001"), now+1, []string{}
	f.Add(mustJSON(p), "", uint8(1))
	p = basePayload()
	ns(p)["x-hasura-org-id"] = 3
	f.Add(mustJSON(p), "", uint8(0))
	p = basePayload()
	p[hasura.DefaultClaimsNamespace] = mustJSON(hasuraClaims())
	f.Add(mustJSON(p), "", uint8(1))
	f.Add(mustJSON(hasuraClaims()), "user", uint8(2))
	f.Add(`{"sub":"u","roles":["a","b"],"role":"b","exp":1700000001}`, "a", uint8(3))
	f.Add(`{"roles":[],"exp":1e999}`, "", uint8(3))
	f.Add(`not a token`, "", uint8(16))
	f.Add(seg(`{"alg":"none"}`)+"."+seg(mustJSON(basePayload()))+".", "", uint8(16))

	codes := map[string]bool{"invalid-jwt": true, "jwt-invalid-claims": true, "jwt-missing-role-claims": true, "access-denied": true}
	f.Fuzz(func(t *testing.T, payload string, role string, mode uint8) {
		v := verifiers[int(mode)%len(verifiers)]
		// Bits 2-4 choose how the token is made: HS256, HS512, alg none, tampered, or raw input.
		kind := (mode >> 2) % 5
		var tok string
		switch kind {
		case 0, 1, 3:
			method := jwt.SigningMethod(jwt.SigningMethodHS256)
			if kind == 1 {
				method = jwt.SigningMethodHS512
			}
			input := seg(`{"alg":"`+method.Alg()+`","typ":"JWT"}`) + "." + seg(payload)
			sig, err := method.Sign(input, []byte(hs64))
			check(t, err == nil, "sign: %v", err)
			if kind == 3 {
				sig[0] ^= 1
			}
			tok = input + "." + seg(string(sig))
		case 2:
			tok = seg(`{"alg":"none"}`) + "." + seg(payload) + "."
		case 4:
			tok = payload
		}

		c, err := v.Verify(tok, role)
		if err != nil {
			var herr *hasura.Error
			check(t, errors.As(err, &herr) && codes[herr.Code], "unexpected error %T %v", err, err)
			check(t, c == nil, "claims returned with an error")
			return
		}
		check(t, kind == 0 || kind == 1 || kind == 4, "accepted a token of kind %d", kind)
		check(t, len(c.AllowedRoles) > 0, "no allowed roles")
		check(t, contains(c.AllowedRoles, c.DefaultRole), "default role %q outside %q", c.DefaultRole, c.AllowedRoles)
		check(t, contains(c.AllowedRoles, c.Role), "role %q outside %q", c.Role, c.AllowedRoles)
		check(t, role == "" || c.Role == role, "role header %q ignored", role)
		check(t, role != "" || c.Role == c.DefaultRole, "role %q is not the default", c.Role)
		check(t, c.SessionVariables["x-hasura-role"] == c.Role, "x-hasura-role session variable")
		_, hasAllowed := c.SessionVariables["x-hasura-allowed-roles"]
		check(t, !hasAllowed, "allowed roles in session variables")
		for name := range c.SessionVariables {
			check(t, name == strings.ToLower(name), "session variable %q not lower-cased", name)
		}
		for _, r := range c.AllowedRoles {
			check(t, r != "", "empty allowed role")
		}
		if exp, ok := c.Payload["exp"].(float64); ok && !math.IsInf(exp, 0) {
			check(t, exp > float64(testNow.Unix())-2, "expired token accepted (exp %v)", exp)
		}
		if iat, ok := c.Payload["iat"].(float64); ok {
			check(t, iat < float64(testNow.Unix())+2, "future iat accepted (iat %v)", iat)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// check is a minimal assertion for fuzz targets, which should stay allocation-light.
func check(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, args...)
	}
}
