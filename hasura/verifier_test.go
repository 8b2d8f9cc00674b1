package hasura_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/hasura"
)

const now = 1_700_000_000

type verifyCase struct {
	name    string
	secret  map[string]any       // overrides on {"type": "HS256", "key": hs32}
	payload func(map[string]any) // edits basePayload()
	method  jwt.SigningMethod    // default HS256
	key     any                  // default []byte(hs32)
	token   func(string) string  // edits the signed token
	role    string               // x-hasura-role header
	code    string               // "" = accepted
	msg     string
	check   func(*testing.T, *hasura.Claims)
}

func ns(p map[string]any) map[string]any { return p[hasura.DefaultClaimsNamespace].(map[string]any) }

func TestVerify(t *testing.T) {
	k := getKeys(t)
	tests := []verifyCase{
		{name: "valid hasura-auth token", check: func(t *testing.T, c *hasura.Claims) {
			require.Equal(t, []string{"user", "me"}, c.AllowedRoles)
			require.Equal(t, "user", c.DefaultRole)
			require.Equal(t, "user", c.Role)
			require.Equal(t, map[string]string{
				"x-hasura-default-role":      "user",
				"x-hasura-role":              "user",
				"x-hasura-user-id":           "5f0c6a6e-0000-4000-8000-000000000001",
				"x-hasura-user-is-anonymous": "false",
			}, c.SessionVariables)
			require.Equal(t, "hasura-auth", c.Payload["iss"])
			require.Equal(t, float64(now+900), c.Payload["exp"])
		}},

		// Time claims.
		{name: "exp equal to now is expired", payload: func(p map[string]any) { p["exp"] = now }, code: "invalid-jwt", msg: "Could not verify JWT: JWTExpired"},
		{name: "exp one second ahead is valid", payload: func(p map[string]any) { p["exp"] = now + 1 }},
		{name: "exp in the past", payload: func(p map[string]any) { p["exp"] = now - 60 }, code: "invalid-jwt", msg: "JWTExpired"},
		{name: "exp half a second ahead is valid", payload: func(p map[string]any) { p["exp"] = json.Number("1700000000.5") }},
		{name: "exp equal to now is valid with skew", secret: map[string]any{"allowed_skew": 1}, payload: func(p map[string]any) { p["exp"] = now }},
		{name: "exp plus skew equal to now is expired", secret: map[string]any{"allowed_skew": 1}, payload: func(p map[string]any) { p["exp"] = now - 1 }, code: "invalid-jwt", msg: "JWTExpired"},
		{name: "exp that is not a number", payload: func(p map[string]any) { p["exp"] = "tomorrow" }, code: "invalid-jwt", msg: "JWTClaimsSetDecodeError"},
		{name: "huge exp never expires", payload: func(p map[string]any) { p["exp"] = json.Number("1e400") }},
		{name: "iat one second in the future", payload: func(p map[string]any) { p["iat"] = now + 1 }, code: "invalid-jwt", msg: "Could not verify JWT: JWTIssuedAtFuture"},
		{name: "iat in the future within skew", secret: map[string]any{"allowed_skew": 5}, payload: func(p map[string]any) { p["iat"] = now + 5 }},
		{name: "iat beyond skew", secret: map[string]any{"allowed_skew": 5}, payload: func(p map[string]any) { p["iat"] = now + 6 }, code: "invalid-jwt", msg: "JWTIssuedAtFuture"},
		{name: "nbf now is valid", payload: func(p map[string]any) { p["nbf"] = now }},
		{name: "nbf in the future", payload: func(p map[string]any) { p["nbf"] = now + 1 }, code: "invalid-jwt", msg: "Could not verify JWT: JWTNotYetValid"},
		{name: "nbf in the future within skew", secret: map[string]any{"allowed_skew": 1}, payload: func(p map[string]any) { p["nbf"] = now + 1 }},
		{name: "no exp at all is accepted", payload: func(p map[string]any) { delete(p, "exp") }},

		// Issuer and audience.
		{name: "no iss or aud in token with both configured", secret: map[string]any{"issuer": "hasura-auth", "audience": "app"},
			payload: func(p map[string]any) { delete(p, "iss"); delete(p, "aud") }},
		{name: "iss matches", secret: map[string]any{"issuer": "hasura-auth"}},
		{name: "iss mismatch", secret: map[string]any{"issuer": "someone-else"}, code: "invalid-jwt", msg: "Could not verify JWT: JWTNotInIssuer"},
		{name: "iss mismatch is reported before the signature", secret: map[string]any{"issuer": "someone-else"}, key: []byte(hs64), code: "invalid-jwt", msg: "JWTNotInIssuer"},
		{name: "aud mismatch", secret: map[string]any{"audience": []string{"app"}}, payload: func(p map[string]any) { p["aud"] = "other" }, code: "invalid-jwt", msg: "Could not verify JWT: JWTNotInAudience"},
		{name: "aud list with one configured audience", secret: map[string]any{"audience": []string{"app", "web"}}, payload: func(p map[string]any) { p["aud"] = []string{"other", "web"} }},
		{name: "aud without configured audience", payload: func(p map[string]any) { p["aud"] = "anything" }},
		{name: "empty aud list never passes", payload: func(p map[string]any) { p["aud"] = []string{} }, code: "invalid-jwt", msg: "JWTNotInAudience"},

		// Session variables and roles.
		{name: "numeric session variable", payload: func(p map[string]any) { ns(p)["x-hasura-org-id"] = 42 }, code: "jwt-invalid-claims", msg: "x-hasura-* claims: parsing Text failed, expected String, but encountered Number"},
		{name: "boolean session variable", payload: func(p map[string]any) { ns(p)["x-hasura-user-is-anonymous"] = false }, code: "jwt-invalid-claims", msg: "encountered Boolean"},
		{name: "non x-hasura claims in namespace are ignored", payload: func(p map[string]any) { ns(p)["other"] = 42 }},
		{name: "keys are case-insensitive", payload: func(p map[string]any) { ns(p)["X-Hasura-Org-Id"] = "7" },
			check: func(t *testing.T, c *hasura.Claims) { require.Equal(t, "7", c.SessionVariables["x-hasura-org-id"]) }},
		{name: "default role outside allowed roles", payload: func(p map[string]any) { ns(p)["x-hasura-default-role"] = "admin" }, code: "access-denied", msg: "Your requested role is not in allowed roles"},
		{name: "default role outside allowed roles even with an allowed role header", payload: func(p map[string]any) { ns(p)["x-hasura-default-role"] = "admin" }, role: "me", code: "jwt-invalid-claims", msg: "invalid x-hasura-default-role"},
		{name: "empty allowed roles", payload: func(p map[string]any) { ns(p)["x-hasura-allowed-roles"] = []string{} }, code: "access-denied", msg: "Your requested role is not in allowed roles"},
		{name: "empty role name in allowed roles", payload: func(p map[string]any) { ns(p)["x-hasura-allowed-roles"] = []string{"user", ""} }, code: "jwt-invalid-claims", msg: "invalid x-hasura-allowed-roles; should be a list of roles: empty string not allowed"},
		{name: "allowed roles as a string", payload: func(p map[string]any) { ns(p)["x-hasura-allowed-roles"] = "user" }, code: "jwt-invalid-claims", msg: "should be a list of roles: parsing [] failed, expected Array, but encountered String"},
		{name: "allowed roles as a postgres literal", payload: func(p map[string]any) { ns(p)["x-hasura-allowed-roles"] = `{"user"}` }, code: "jwt-invalid-claims", msg: "should be a list of roles"},
		{name: "empty default role", payload: func(p map[string]any) { ns(p)["x-hasura-default-role"] = "" }, code: "jwt-invalid-claims", msg: "invalid x-hasura-default-role; should be a single role name: empty string not allowed"},
		{name: "missing allowed roles", payload: func(p map[string]any) { delete(ns(p), "x-hasura-allowed-roles") }, code: "jwt-missing-role-claims", msg: "JWT claim does not contain x-hasura-allowed-roles"},
		{name: "missing default role", payload: func(p map[string]any) { delete(ns(p), "x-hasura-default-role") }, code: "jwt-missing-role-claims", msg: "JWT claim does not contain x-hasura-default-role"},
		{name: "missing claims namespace", payload: func(p map[string]any) { delete(p, hasura.DefaultClaimsNamespace) }, code: "jwt-invalid-claims", msg: "claims key: 'https://hasura.io/jwt/claims' not found"},
		{name: "claims namespace not an object", payload: func(p map[string]any) { p[hasura.DefaultClaimsNamespace] = "{}" }, code: "jwt-invalid-claims", msg: "expecting a json object when claims_format is json"},
		{name: "role header allowed", role: "me", check: func(t *testing.T, c *hasura.Claims) {
			require.Equal(t, "me", c.Role)
			require.Equal(t, "user", c.DefaultRole)
			require.Equal(t, "me", c.SessionVariables["x-hasura-role"])
		}},
		{name: "role header not allowed", role: "admin", code: "access-denied", msg: "Your requested role is not in allowed roles"},
		{name: "role header is case-sensitive", role: "User", code: "access-denied"},

		// Signatures and algorithms.
		{name: "alg none", token: func(string) string {
			return seg(`{"alg":"none","typ":"JWT"}`) + "." + seg(mustJSON(basePayload())) + "."
		}, code: "invalid-jwt", msg: "Could not verify JWT: JWSError JWSNoSignatures"},
		{name: "HS512 token under an HS256 secret", secret: map[string]any{"key": hs64}, method: jwt.SigningMethodHS512, key: []byte(hs64)},
		{name: "HS384 token under an HS256 secret", secret: map[string]any{"key": hs48}, method: jwt.SigningMethodHS384, key: []byte(hs48)},
		{name: "HS512 token under a 32 byte secret", method: jwt.SigningMethodHS512, code: "invalid-jwt", msg: "JWSError JWSInvalidSignature"},
		{name: "wrong HS secret", key: []byte(hs64), code: "invalid-jwt", msg: "Could not verify JWT: JWSError JWSInvalidSignature"},
		{name: "tampered payload", token: func(tok string) string {
			parts := strings.Split(tok, ".")
			p := basePayload()
			ns(p)["x-hasura-allowed-roles"] = []string{"user", "admin"}
			ns(p)["x-hasura-default-role"] = "admin"
			return parts[0] + "." + seg(mustJSON(p)) + "." + parts[2]
		}, code: "invalid-jwt", msg: "JWSInvalidSignature"},
		{name: "tampered signature", token: func(tok string) string {
			return tok[:len(tok)-2] + flip(tok[len(tok)-2:])
		}, code: "invalid-jwt", msg: "JWSInvalidSignature"},
		{name: "RS256 token against an Ed25519 key", secret: map[string]any{"type": "Ed25519", "key": pkixPEM(t, k.ed.Public())},
			method: jwt.SigningMethodRS256, key: k.rsa, code: "invalid-jwt", msg: "JWSInvalidSignature"},
		{name: "HS256 token against an RSA key (alg confusion)", secret: map[string]any{"type": "RS256", "key": pkixPEM(t, &k.rsa.PublicKey)},
			key: []byte(pkixPEM(t, &k.rsa.PublicKey)), code: "invalid-jwt", msg: "JWSInvalidSignature"},
		{name: "RS256", secret: map[string]any{"type": "RS256", "key": pkixPEM(t, &k.rsa.PublicKey)}, method: jwt.SigningMethodRS256, key: k.rsa},
		{name: "PS256 token under an RS256 key, as jose allows", secret: map[string]any{"type": "RS256", "key": pkixPEM(t, &k.rsa.PublicKey)}, method: jwt.SigningMethodPS256, key: k.rsa},
		{name: "RS256 from another key pair", secret: map[string]any{"type": "RS256", "key": pkixPEM(t, &k.rsa.PublicKey)}, method: jwt.SigningMethodRS256, key: k.rsa2, code: "invalid-jwt", msg: "JWSInvalidSignature"},
		{name: "ES256", secret: map[string]any{"type": "ES256", "key": pkixPEM(t, &k.p256.PublicKey)}, method: jwt.SigningMethodES256, key: k.p256},
		{name: "ES512 token against a P-256 key", secret: map[string]any{"type": "ES256", "key": pkixPEM(t, &k.p256.PublicKey)}, method: jwt.SigningMethodES512, key: k.p521, code: "invalid-jwt", msg: "JWSInvalidSignature"},
		{name: "EdDSA", secret: map[string]any{"type": "Ed25519", "key": pkixPEM(t, k.ed.Public())}, method: jwt.SigningMethodEdDSA, key: k.ed},
		{name: "two segments", token: func(tok string) string { return tok[:strings.LastIndex(tok, ".")] }, code: "invalid-jwt", msg: "Invalid number of parts: Expected 3 parts; got 2"},
		{name: "unknown alg", token: func(tok string) string {
			return seg(`{"alg":"HS1"}`) + tok[strings.Index(tok, "."):]
		}, code: "invalid-jwt", msg: "Could not verify JWT: JWSError"},
		{name: "payload that is not an object", token: func(tok string) string {
			parts := strings.Split(tok, ".")
			return parts[0] + "." + seg(`[1,2]`) + "." + parts[2]
		}, code: "invalid-jwt", msg: "JWTClaimsSetDecodeError"},
		{name: "payload with trailing data", token: func(tok string) string {
			parts := strings.Split(tok, ".")
			return parts[0] + "." + seg(mustJSON(basePayload())+"x") + "." + parts[2]
		}, code: "invalid-jwt", msg: "JWTClaimsSetDecodeError"},

		// Claims location and format.
		{name: "stringified claims", secret: map[string]any{"claims_format": "stringified_json"},
			payload: func(p map[string]any) { p[hasura.DefaultClaimsNamespace] = mustJSON(hasuraClaims()) },
			check:   func(t *testing.T, c *hasura.Claims) { require.Equal(t, "user", c.Role) }},
		{name: "stringified format but object claims", secret: map[string]any{"claims_format": "stringified_json"}, code: "jwt-invalid-claims", msg: "expecting a string when claims_format is stringified_json"},
		{name: "stringified claims that are not JSON", secret: map[string]any{"claims_format": "stringified_json"},
			payload: func(p map[string]any) { p[hasura.DefaultClaimsNamespace] = "{nope" },
			code:    "jwt-invalid-claims", msg: "expecting stringified json at: 'claims_namespace https://hasura.io/jwt/claims', but found: {nope"},
		{name: "custom namespace", secret: map[string]any{"claims_namespace": "hasura"},
			payload: func(p map[string]any) {
				p["hasura"] = p[hasura.DefaultClaimsNamespace]
				delete(p, hasura.DefaultClaimsNamespace)
			}},
		{name: "namespace path $", secret: map[string]any{"claims_namespace_path": "$"},
			payload: func(p map[string]any) {
				for k, v := range ns(p) {
					p[k] = v
				}
				delete(p, hasura.DefaultClaimsNamespace)
			}},
		{name: "namespace path $.a.b", secret: map[string]any{"claims_namespace_path": "$.a.b"},
			payload: func(p map[string]any) { p["a"] = map[string]any{"b": ns(p)} }},
		{name: "namespace path not found", secret: map[string]any{"claims_namespace_path": "$.a.b"}, code: "jwt-invalid-claims", msg: "claims not found at claims_namespace_path: '$.a.b'"},
		{name: "namespace path never looks at registered claims", secret: map[string]any{"claims_namespace": "sub"}, code: "jwt-invalid-claims", msg: "claims key: 'sub' not found"},

		// claims_map.
		{name: "claims_map with literals, paths and defaults", secret: map[string]any{"claims_map": map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$.roles"},
			"x-hasura-default-role":  map[string]any{"path": "$.app['default role']", "default": "user"},
			"x-hasura-user-id":       map[string]any{"path": "$.sub"},
			"x-hasura-org-id":        map[string]any{"path": "$.orgs[1]", "default": "none"},
			"X-Hasura-Tier":          "gold",
		}}, payload: func(p map[string]any) {
			delete(p, hasura.DefaultClaimsNamespace)
			p["roles"] = []string{"user", "editor"}
			p["orgs"] = []string{"o1", "o2"}
		}, role: "editor", check: func(t *testing.T, c *hasura.Claims) {
			require.Equal(t, []string{"user", "editor"}, c.AllowedRoles)
			require.Equal(t, "user", c.DefaultRole)
			require.Equal(t, "editor", c.Role)
			require.Equal(t, map[string]string{
				"x-hasura-default-role": "user",
				"x-hasura-role":         "editor",
				"x-hasura-user-id":      "5f0c6a6e-0000-4000-8000-000000000001",
				"x-hasura-org-id":       "o2",
				"x-hasura-tier":         "gold",
			}, c.SessionVariables)
		}},
		{name: "claims_map path missing without default", secret: map[string]any{"claims_map": map[string]any{
			"x-hasura-allowed-roles": []string{"user"}, "x-hasura-default-role": "user",
			"x-hasura-user-id": map[string]any{"path": "$.uid"},
		}}, code: "jwt-invalid-claims", msg: "JWT claim from claims_map, x-hasura-user-id not found"},
		{name: "claims_map allowed roles path missing", secret: map[string]any{"claims_map": map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$.roles"}, "x-hasura-default-role": "user",
		}}, code: "jwt-missing-role-claims", msg: "JWT claim does not contain x-hasura-allowed-roles"},
		{name: "claims_map default role of wrong type", secret: map[string]any{"claims_map": map[string]any{
			"x-hasura-allowed-roles": []string{"user"}, "x-hasura-default-role": map[string]any{"path": "$.iat"},
		}}, code: "jwt-invalid-claims", msg: "invalid x-hasura-default-role; should be a role: parsing String failed, expected String, but encountered Number"},
		{name: "claims_map numeric session variable", secret: map[string]any{"claims_map": map[string]any{
			"x-hasura-allowed-roles": []string{"user"}, "x-hasura-default-role": "user", "x-hasura-exp": map[string]any{"path": "$.exp"},
		}}, code: "jwt-invalid-claims", msg: "encountered Number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := map[string]any{"type": "HS256", "key": hs32}
			for k, v := range tc.secret {
				in[k] = v
			}
			s := mustSecret(t, in)
			p := basePayload()
			if tc.payload != nil {
				tc.payload(p)
			}
			method, key := tc.method, tc.key
			if method == nil {
				method = jwt.SigningMethodHS256
			}
			if key == nil {
				key = []byte(hs32)
			}
			tok := sign(t, method, key, p)
			if tc.token != nil {
				tok = tc.token(tok)
			}
			c, err := newVerifier(t, s).Verify(tok, tc.role)
			if tc.code != "" {
				requireHasuraErr(t, err, tc.code, tc.msg)
				require.Nil(t, c)
				return
			}
			require.NoError(t, err)
			require.Contains(t, c.AllowedRoles, c.DefaultRole)
			require.Contains(t, c.AllowedRoles, c.Role)
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

func TestVerifyKeys(t *testing.T) {
	k := getKeys(t)
	tok := sign(t, jwt.SigningMethodRS256, k.rsa, basePayload())

	// No keys at all, as with an empty JWKS.
	v := newVerifier(t, &hasura.JWTSecret{})
	_, err := v.Verify(tok, "")
	requireHasuraErr(t, err, "invalid-jwt", "Could not verify JWT: JWSError NoUsableKeys")

	// Every key is tried, whatever the kid says.
	tokWithKid := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(basePayload()))
	tokWithKid.Header["kid"] = "does-not-exist"
	signed, err := tokWithKid.SignedString(k.rsa)
	require.NoError(t, err)
	v = newVerifier(t, nil, []byte(hs32), &k.rsa2.PublicKey, k.ed.Public(), &k.rsa.PublicKey)
	c, err := v.Verify(signed, "")
	require.NoError(t, err)
	require.Equal(t, "user", c.Role)

	// The secret's key and the extra keys are both tried; private keys are reduced to public ones.
	s := mustSecret(t, map[string]any{"type": "HS256", "key": hs32})
	v = newVerifier(t, s, k.rsa)
	_, err = v.Verify(tok, "")
	require.NoError(t, err)
	_, err = v.Verify(sign(t, jwt.SigningMethodHS256, []byte(hs32), basePayload()), "")
	require.NoError(t, err)

	_, err = hasura.NewVerifier(hasura.VerifierConfig{Keys: []any{"a string key"}})
	require.Error(t, err)
}

func TestVerifyUsesClock(t *testing.T) {
	s := mustSecret(t, map[string]any{"type": "HS256", "key": hs32})
	tok := sign(t, jwt.SigningMethodHS256, []byte(hs32), basePayload())
	at := func(t0 time.Time) error {
		v, err := hasura.NewVerifier(hasura.VerifierConfig{Secret: s, Now: func() time.Time { return t0 }})
		require.NoError(t, err)
		_, err = v.Verify(tok, "")
		return err
	}
	exp := time.Unix(now+900, 0)
	require.NoError(t, at(exp.Add(-time.Nanosecond)))
	requireHasuraErr(t, at(exp), "invalid-jwt", "JWTExpired")
	// The default clock is the real one, long after this token expired.
	v, err := hasura.NewVerifier(hasura.VerifierConfig{Secret: s})
	require.NoError(t, err)
	_, err = v.Verify(tok, "")
	requireHasuraErr(t, err, "invalid-jwt", "JWTExpired")
}

func TestVerifyRequest(t *testing.T) {
	tok := sign(t, jwt.SigningMethodHS256, []byte(hs32), basePayload())
	authz := mustSecret(t, map[string]any{"type": "HS256", "key": hs32})
	cookie := mustSecret(t, map[string]any{"type": "HS256", "key": hs32, "header": map[string]any{"type": "Cookie", "name": "nhostSession"}})
	custom := mustSecret(t, map[string]any{"type": "HS256", "key": hs32, "header": map[string]any{"type": "CustomHeader", "name": "X-Token"}})
	tests := []struct {
		name    string
		secret  *hasura.JWTSecret
		headers [][2]string
		code    string
		msg     string
		role    string
	}{
		{name: "bearer token", secret: authz, headers: [][2]string{{"Authorization", "Bearer " + tok}}, role: "user"},
		{name: "bearer token with extra spaces", secret: authz, headers: [][2]string{{"Authorization", "  Bearer \t" + tok + " "}}, role: "user"},
		{name: "role header", secret: authz, headers: [][2]string{{"Authorization", "Bearer " + tok}, {"X-Hasura-Role", "me"}}, role: "me"},
		{name: "role header not allowed", secret: authz, headers: [][2]string{{"Authorization", "Bearer " + tok}, {"X-Hasura-Role", "admin"}}, code: "access-denied", msg: "Your requested role is not in allowed roles"},
		{name: "three words", secret: authz, headers: [][2]string{{"Authorization", "Bearer " + tok + " extra"}}, code: "invalid-headers", msg: "Malformed Authorization header"},
		{name: "lower-case bearer", secret: authz, headers: [][2]string{{"Authorization", "bearer " + tok}}, code: "invalid-headers", msg: "Malformed Authorization header"},
		{name: "token without scheme", secret: authz, headers: [][2]string{{"Authorization", tok}}, code: "invalid-headers", msg: "Malformed Authorization header"},
		{name: "missing header", secret: authz, code: "invalid-headers", msg: "Missing 'Authorization' or 'Cookie' header"},
		{name: "two tokens", secret: authz, headers: [][2]string{{"Authorization", "Bearer " + tok}, {"Authorization", "Bearer " + tok}}, code: "invalid-headers", msg: "Multiple JWTs found"},
		{name: "cookie source", secret: cookie, headers: [][2]string{{"Cookie", "other=1; nhostSession=" + tok}}, role: "user"},
		{name: "cookie source ignores Authorization", secret: cookie, headers: [][2]string{{"Authorization", "Bearer " + tok}}, code: "invalid-headers", msg: "Missing"},
		{name: "cookie with a bad token", secret: cookie, headers: [][2]string{{"Cookie", "nhostSession=abc"}}, code: "invalid-jwt", msg: "Could not verify JWT"},
		{name: "custom header", secret: custom, headers: [][2]string{{"X-Token", tok}}, role: "user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/graphql", nil)
			for _, h := range tc.headers {
				r.Header.Add(h[0], h[1])
			}
			c, err := newVerifier(t, tc.secret).VerifyRequest(r)
			if tc.code != "" {
				requireHasuraErr(t, err, tc.code, tc.msg)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.role, c.Role)
		})
	}
}

func TestErrorString(t *testing.T) {
	err := &hasura.Error{Code: "invalid-jwt", Message: "Could not verify JWT: JWTExpired"}
	require.Equal(t, "invalid-jwt: Could not verify JWT: JWTExpired", err.Error())
}

func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// flip changes base64url characters so the decoded bytes differ.
func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

func TestVerifierConcurrentUse(t *testing.T) {
	v := newVerifier(t, mustSecret(t, map[string]any{"type": "HS256", "key": hs32}))
	tok := sign(t, jwt.SigningMethodHS256, []byte(hs32), basePayload())
	errs := make(chan error, 16)
	for i := 0; i < cap(errs); i++ {
		go func() {
			_, err := v.Verify(tok, "me")
			errs <- err
		}()
	}
	for i := 0; i < cap(errs); i++ {
		require.NoError(t, <-errs)
	}
}
