package handlers_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// The JWT attack corpus: tokens an attacker can make, each sent to GET /user
// and POST /token/verify (in the body and as Bearer). Every one must be
// 401, never 5xx, never accepted.

func jwtSeg(v any) string {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x) // raw JSON, for duplicate keys
	case []byte:
		b = x
	default:
		b, _ = json.Marshal(v)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func jwtHS256(key []byte, signingInput string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signingInput))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func jwtRS256(t *testing.T, key *rsa.PrivateKey, signingInput string) string {
	sum := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(sig)
}

func jwtES256(t *testing.T, key *ecdsa.PrivateKey, signingInput string) string {
	sum := sha256.Sum256([]byte(signingInput))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	require.NoError(t, err)
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return base64.RawURLEncoding.EncodeToString(sig)
}

// payloadOf decodes a token's claims (numbers kept exact).
func jwtPayload(t *testing.T, tok string) map[string]any {
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var p map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&p))
	return p
}

func jwtWith(p map[string]any, changes map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range p {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

type jwtAttack struct{ name, token string }

// requireRefused sends every attack to both endpoints, three ways.
func requireAttacksRefused(t *testing.T, e *env, attacks []jwtAttack) {
	t.Helper()
	for _, a := range attacks {
		for _, how := range []string{"GET /user Bearer", "POST /token/verify body", "POST /token/verify Bearer"} {
			var r *response
			switch how {
			case "GET /user Bearer":
				r = e.do("GET", "/v1/user", nil, bearer(a.token))
			case "POST /token/verify body":
				r = e.do("POST", "/v1/token/verify", map[string]string{"token": a.token})
			default:
				r = e.do("POST", "/v1/token/verify", nil, bearer(a.token))
			}
			require.Less(t, r.Status, 500, "%s via %s: %s", a.name, how, r.Body)
			require.Equal(t, 401, r.Status, "%s via %s: %s", a.name, how, r.Body)
			require.Equal(t, "unauthorized", r.errorCode(t), "%s via %s", a.name, how)
		}
	}
}

func TestJWTAttackCorpusConfiguredRS256(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	privPEM, pubPEM := pemPair(t, key, &key.PublicKey)
	e := newEnv(t, map[string]string{"HASURA_GRAPHQL_JWT_SECRET": jwtSecret(t, map[string]any{
		"type": "RS256", "key": pubPEM, "signing_key": privPEM, "issuer": "hasura-auth", "audience": "my-app",
	})})
	s := e.signUp(email(t), nil)
	victim := e.signUp(email(t), nil)
	good := s.AccessToken

	// The real token works on both endpoints: the corpus is refused for its flaw, not by accident.
	require.Equal(t, 200, e.do("GET", "/v1/user", nil, bearer(good)).Status)
	require.Equal(t, 200, e.do("POST", "/v1/token/verify", map[string]string{"token": good}).Status)

	parts := strings.Split(good, ".")
	hdr := map[string]any{"alg": "RS256", "typ": "JWT"}
	claims := jwtPayload(t, good)
	now := e.clock.Now().Unix()
	ns := claims["https://hasura.io/jwt/claims"].(map[string]any)

	// signed with the server's own key: only the claims are wrong
	signed := func(h map[string]any, p any) string {
		in := jwtSeg(h) + "." + jwtSeg(p)
		return in + "." + jwtRS256(t, key, in)
	}
	attackerRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	attackerEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	hsWith := func(secret []byte, h map[string]any, p any) string {
		in := jwtSeg(h) + "." + jwtSeg(p)
		return in + "." + jwtHS256(secret, in)
	}
	asVictim := jwtWith(claims, map[string]any{"sub": victim.User.ID, "https://hasura.io/jwt/claims": jwtWith(ns, map[string]any{"x-hasura-user-id": victim.User.ID})})
	adminRoles := jwtWith(claims, map[string]any{"https://hasura.io/jwt/claims": jwtWith(ns, map[string]any{
		"x-hasura-allowed-roles": []string{"admin", "user"}, "x-hasura-default-role": "admin"})})
	huge := jwtWith(claims, map[string]any{"pad": strings.Repeat("A", 40<<10)})
	nsJSON, _ := json.Marshal(ns)
	victimNS, _ := json.Marshal(jwtWith(ns, map[string]any{"x-hasura-user-id": victim.User.ID}))
	rawClaims := func(extra string) string {
		// Claims written by hand, to repeat keys: the server's own key signs them.
		return `{"sub":"` + s.User.ID + `","iat":` + jwtNum(now) + `,"exp":` + jwtNum(now+600) +
			`,"iss":"hasura-auth","aud":"my-app","https://hasura.io/jwt/claims":` + string(nsJSON) + extra + `}`
	}

	attacks := []jwtAttack{
		// algorithm confusion
		{"alg none", jwtSeg(map[string]any{"alg": "none", "typ": "JWT"}) + "." + parts[1] + "."},
		{"alg None", jwtSeg(map[string]any{"alg": "None"}) + "." + parts[1] + "."},
		{"alg NONE with the original signature", jwtSeg(map[string]any{"alg": "NONE"}) + "." + parts[1] + "." + parts[2]},
		{"alg none as victim", jwtSeg(map[string]any{"alg": "none"}) + "." + jwtSeg(asVictim) + "."},
		{"HS256 keyed with the RS public key PEM", hsWith([]byte(pubPEM), map[string]any{"alg": "HS256", "typ": "JWT"}, asVictim)},
		{"HS256 keyed with the RS public key DER", hsWith(pubDER, map[string]any{"alg": "HS256"}, asVictim)},
		{"HS512 keyed with the RS public key PEM", func() string {
			in := jwtSeg(map[string]any{"alg": "HS512"}) + "." + jwtSeg(asVictim)
			return in + "." + jwtHS256([]byte(pubPEM), in)
		}()},
		{"RS256 header, PS256 claimed", jwtSeg(map[string]any{"alg": "PS256"}) + "." + parts[1] + "." + parts[2]},
		{"ES256 by an attacker key", func() string {
			in := jwtSeg(map[string]any{"alg": "ES256"}) + "." + jwtSeg(asVictim)
			return in + "." + jwtES256(t, attackerEC, in)
		}()},
		// key selection through the header
		{"kid path traversal, HS256 with an empty key", hsWith(nil, map[string]any{"alg": "HS256", "kid": "../../../../../../dev/null"}, asVictim)},
		{"kid path traversal, RS256 by an attacker", func() string {
			h := map[string]any{"alg": "RS256", "kid": "../../../../etc/passwd"}
			in := jwtSeg(h) + "." + jwtSeg(asVictim)
			return in + "." + jwtRS256(t, attackerRSA, in)
		}()},
		{"kid SQL injection", func() string {
			h := map[string]any{"alg": "RS256", "kid": "x' UNION SELECT 'attacker-key' --"}
			in := jwtSeg(h) + "." + jwtSeg(asVictim)
			return in + "." + jwtRS256(t, attackerRSA, in)
		}()},
		{"kid SQL injection, HS256 keyed with the injected value", hsWith([]byte("attacker-key"), map[string]any{"alg": "HS256", "kid": "' OR '1'='1"}, asVictim)},
		{"embedded jwk of the attacker", func() string {
			n := base64.RawURLEncoding.EncodeToString(attackerRSA.N.Bytes())
			h := map[string]any{"alg": "RS256", "jwk": map[string]any{"kty": "RSA", "n": n, "e": "AQAB"}}
			in := jwtSeg(h) + "." + jwtSeg(asVictim)
			return in + "." + jwtRS256(t, attackerRSA, in)
		}()},
		{"jku pointing elsewhere", func() string {
			h := map[string]any{"alg": "RS256", "jku": "https://attacker.example/jwks.json"}
			in := jwtSeg(h) + "." + jwtSeg(asVictim)
			return in + "." + jwtRS256(t, attackerRSA, in)
		}()},
		// time
		{"expired", signed(hdr, jwtWith(claims, map[string]any{"iat": now - 3600, "exp": now - 1}))},
		{"expiring exactly now", signed(hdr, jwtWith(claims, map[string]any{"exp": now}))},
		{"issued in the future", signed(hdr, jwtWith(claims, map[string]any{"iat": now + 3600, "exp": now + 7200}))},
		{"not valid yet", signed(hdr, jwtWith(claims, map[string]any{"nbf": now + 3600}))},
		{"exp as a string", signed(hdr, jwtWith(claims, map[string]any{"exp": "9999999999"}))},
		// issuer and audience
		{"wrong iss", signed(hdr, jwtWith(claims, map[string]any{"iss": "evil-auth"}))},
		{"wrong aud", signed(hdr, jwtWith(claims, map[string]any{"aud": "other-app"}))},
		{"empty aud list", signed(hdr, jwtWith(claims, map[string]any{"aud": []string{}}))},
		// claims the server must not take on trust
		{"user id not a uuid", signed(hdr, jwtWith(claims, map[string]any{"https://hasura.io/jwt/claims": jwtWith(ns, map[string]any{"x-hasura-user-id": "1 OR 1=1"})}))},
		{"user that does not exist", signed(hdr, jwtWith(claims, map[string]any{"sub": "00000000-0000-4000-8000-000000000000", "https://hasura.io/jwt/claims": jwtWith(ns, map[string]any{"x-hasura-user-id": uuid.NewString()})}))},
		{"no hasura claims", signed(hdr, jwtWith(claims, map[string]any{"https://hasura.io/jwt/claims": nil}))},
		{"default role outside allowed roles", signed(hdr, jwtWith(claims, map[string]any{"https://hasura.io/jwt/claims": jwtWith(ns, map[string]any{"x-hasura-default-role": "admin"})}))},
		// tampering with a real token
		{"payload as victim, original signature", parts[0] + "." + jwtSeg(asVictim) + "." + parts[2]},
		{"payload with admin roles, original signature", parts[0] + "." + jwtSeg(adminRoles) + "." + parts[2]},
		{"exp pushed out, original signature", parts[0] + "." + jwtSeg(jwtWith(claims, map[string]any{"exp": now + 86400*365})) + "." + parts[2]},
		{"one signature bit flipped", parts[0] + "." + parts[1] + "." + jwtFlipLast(parts[2])},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(victim.AccessToken, ".")[2]},
		{"signed by another RSA key", func() string {
			in := parts[0] + "." + parts[1]
			return in + "." + jwtRS256(t, attackerRSA, in)
		}()},
		// shape
		{"truncated signature", good[:len(good)-10]},
		{"signature removed", parts[0] + "." + parts[1] + "."},
		{"two parts", parts[0] + "." + parts[1]},
		{"one part", parts[1]},
		{"four parts", good + "." + parts[2]},
		{"empty", ""},
		{"padding in base64", parts[0] + "." + parts[1] + "==." + parts[2]},
		{"standard base64 alphabet", parts[0] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[1]) + "+/." + parts[2]},
		{"whitespace inside", parts[0] + ". " + parts[1] + "." + parts[2]},
		{"header not JSON", jwtSeg("not json") + "." + parts[1] + "." + parts[2]},
		{"payload not JSON", parts[0] + "." + jwtSeg("{") + "." + parts[2]},
		{"payload an array", signed(hdr, []any{claims})},
		{"payload with trailing data", func() string {
			in := parts[0] + "." + jwtSeg(rawClaims("")+"{}")
			return in + "." + jwtRS256(t, key, in)
		}()},
		{"oversized: 40 KB claim, original signature", parts[0] + "." + jwtSeg(huge) + "." + parts[2]},
		{"oversized: 40 KB of signature", parts[0] + "." + parts[1] + "." + strings.Repeat("A", 40<<10)},
		{"not a JWT", "hello"},
		{"a refresh token", s.RefreshToken},
		// duplicate claims, signed by the server's key: one reader could see
		// the first value and another the last; refuse rather than pick one
		{"duplicate sub", func() string {
			in := parts[0] + "." + jwtSeg(rawClaims(`,"sub":"`+victim.User.ID+`"`))
			return in + "." + jwtRS256(t, key, in)
		}()},
		{"duplicate hasura claims", func() string {
			in := parts[0] + "." + jwtSeg(rawClaims(`,"https://hasura.io/jwt/claims":`+string(victimNS)))
			return in + "." + jwtRS256(t, key, in)
		}()},
		{"duplicate user id inside the hasura claims", func() string {
			dupNS := strings.Replace(string(nsJSON), "{", `{"x-hasura-user-id":"`+victim.User.ID+`",`, 1)
			in := parts[0] + "." + jwtSeg(`{"sub":"`+s.User.ID+`","iat":`+jwtNum(now)+`,"exp":`+jwtNum(now+600)+
				`,"iss":"hasura-auth","aud":"my-app","https://hasura.io/jwt/claims":`+dupNS+`}`)
			return in + "." + jwtRS256(t, key, in)
		}()},
		{"duplicate alg in the header", func() string {
			in := jwtSeg(`{"alg":"none","alg":"RS256","typ":"JWT"}`) + "." + parts[1]
			return in + "." + jwtRS256(t, key, in)
		}()},
		{"duplicate exp", func() string {
			in := parts[0] + "." + jwtSeg(rawClaims(`,"exp":`+jwtNum(now-10)))
			return in + "." + jwtRS256(t, key, in)
		}()},
	}
	requireAttacksRefused(t, e, attacks)

	// Far past any sane size, in a header only (a body that large is refused by the body cap first).
	for _, tok := range []string{strings.Repeat("A", 1<<20), parts[0] + "." + strings.Repeat("B", 1<<20) + "." + parts[2]} {
		r := e.do("GET", "/v1/user", nil, bearer(tok))
		require.Equal(t, 401, r.Status)
		r = e.do("POST", "/v1/token/verify", nil, bearer(tok))
		require.Equal(t, 401, r.Status)
	}
	r := e.do("POST", "/v1/token/verify", map[string]string{"token": strings.Repeat("A", 1<<20)})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	require.Equal(t, "invalid-request", r.errorCode(t))

	// Malformed Authorization headers.
	for _, h := range []string{"Bearer", "Bearer ", "Bearer  " + good, "Bearer " + good + " extra", "Basic " + good, good, "Bearer\t" + good + "\x00"} {
		r := e.do("GET", "/v1/user", nil, header{"Authorization", h})
		require.Equal(t, 401, r.Status, "%q", h)
	}
	t.Logf("%d attack tokens × 3 ways refused with 401", len(attacks))
}

// The server's default: an Ed25519 key it generated, published in its JWKS.
func TestJWTAttackCorpusGeneratedKey(t *testing.T) {
	e := newEnv(t, nil)
	s := e.signUp(email(t), nil)
	victim := e.signUp(email(t), nil)
	good := s.AccessToken
	require.Equal(t, 200, e.do("GET", "/v1/user", nil, bearer(good)).Status)
	parts := strings.Split(good, ".")
	claims := jwtPayload(t, good)
	ns := claims["https://hasura.io/jwt/claims"].(map[string]any)
	asVictim := jwtWith(claims, map[string]any{"sub": victim.User.ID, "https://hasura.io/jwt/claims": jwtWith(ns, map[string]any{"x-hasura-user-id": victim.User.ID})})

	jwks := e.do("GET", "/v1/.well-known/jwks.json", nil)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	jwks.decode(t, &set)
	require.NotEmpty(t, set.Keys)
	x, err := base64.RawURLEncoding.DecodeString(set.Keys[0]["x"].(string))
	require.NoError(t, err)
	kid, _ := set.Keys[0]["kid"].(string)
	_, attackerEd, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	hsWith := func(secret []byte, h map[string]any) string {
		in := jwtSeg(h) + "." + jwtSeg(asVictim)
		return in + "." + jwtHS256(secret, in)
	}
	attacks := []jwtAttack{
		{"alg none", jwtSeg(map[string]any{"alg": "none"}) + "." + jwtSeg(asVictim) + "."},
		{"HS256 keyed with the published public key", hsWith(x, map[string]any{"alg": "HS256", "kid": kid})},
		{"HS256 keyed with the JWKS document", hsWith(jwks.Body, map[string]any{"alg": "HS256", "kid": kid})},
		{"HS256 keyed with the kid", hsWith([]byte(kid), map[string]any{"alg": "HS256", "kid": kid})},
		{"EdDSA by an attacker key with the server's kid", func() string {
			in := jwtSeg(map[string]any{"alg": "EdDSA", "kid": kid}) + "." + jwtSeg(asVictim)
			return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(attackerEd, []byte(in)))
		}()},
		{"kid SQL injection", func() string {
			in := jwtSeg(map[string]any{"alg": "EdDSA", "kid": "' OR 1=1 --"}) + "." + jwtSeg(asVictim)
			return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(attackerEd, []byte(in)))
		}()},
		{"kid path traversal", hsWith(nil, map[string]any{"alg": "HS256", "kid": "../../../../dev/null"})},
		{"payload as victim, original signature", parts[0] + "." + jwtSeg(asVictim) + "." + parts[2]},
		{"truncated", good[:len(good)/2]},
	}
	requireAttacksRefused(t, e, attacks)
}

func jwtNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

func jwtFlipLast(sig string) string {
	b, _ := base64.RawURLEncoding.DecodeString(sig)
	b[len(b)-1] ^= 1
	return base64.RawURLEncoding.EncodeToString(b)
}
