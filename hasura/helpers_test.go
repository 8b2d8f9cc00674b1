package hasura_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/hasura"
)

// Fixed clock for every verifier test: boundaries are compared against this instant.
var testNow = time.Unix(1_700_000_000, 0)

const (
	hs32 = "0123456789abcdef0123456789abcdef" // exactly 32 bytes
	hs48 = hs32 + "0123456789abcdef"
	hs64 = hs32 + hs32
)

type testKeys struct {
	rsa, rsa2 *rsa.PrivateKey
	p256      *ecdsa.PrivateKey
	p384      *ecdsa.PrivateKey
	p521      *ecdsa.PrivateKey
	ed        ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	keys     testKeys
)

// getKeys generates the key pairs once; RSA generation is slow under -race.
func getKeys(t testing.TB) testKeys {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		keys.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		keys.rsa2, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		keys.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		keys.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(err)
		keys.p521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		must(err)
		_, keys.ed, err = ed25519.GenerateKey(rand.Reader)
		must(err)
	})
	return keys
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func pemEncode(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func pkixPEM(t testing.TB, pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return pemEncode("PUBLIC KEY", der)
}

func pkcs8PEM(t testing.TB, priv crypto.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	return pemEncode("PRIVATE KEY", der)
}

func certPEM(t testing.TB, priv crypto.Signer) string {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "hasura-auth test"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	require.NoError(t, err)
	return pemEncode("CERTIFICATE", der)
}

// secretJSON builds HASURA_GRAPHQL_JWT_SECRET from a map.
func secretJSON(t testing.TB, m map[string]any) string {
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}

func mustSecret(t testing.TB, m map[string]any) *hasura.JWTSecret {
	t.Helper()
	s, err := hasura.ParseJWTSecret(secretJSON(t, m))
	require.NoError(t, err)
	return s
}

func sign(t testing.TB, method jwt.SigningMethod, key any, claims map[string]any) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, jwt.MapClaims(claims)).SignedString(key)
	require.NoError(t, err)
	return tok
}

// hasuraClaims is what hasura-auth puts in the namespace.
func hasuraClaims() map[string]any {
	return map[string]any{
		"x-hasura-allowed-roles":     []any{"user", "me"},
		"x-hasura-default-role":      "user",
		"x-hasura-user-id":           "5f0c6a6e-0000-4000-8000-000000000001",
		"x-hasura-user-is-anonymous": "false",
	}
}

func basePayload() map[string]any {
	return map[string]any{
		"sub":                         "5f0c6a6e-0000-4000-8000-000000000001",
		"iat":                         testNow.Unix(),
		"exp":                         testNow.Unix() + 900,
		"iss":                         "hasura-auth",
		hasura.DefaultClaimsNamespace: hasuraClaims(),
	}
}

func newVerifier(t testing.TB, s *hasura.JWTSecret, extra ...any) *hasura.Verifier {
	t.Helper()
	v, err := hasura.NewVerifier(hasura.VerifierConfig{Secret: s, Keys: extra, Now: func() time.Time { return testNow }})
	require.NoError(t, err)
	return v
}

// requireHasuraErr asserts a *hasura.Error with the code and a message containing msg.
func requireHasuraErr(t testing.TB, err error, code, msg string) {
	t.Helper()
	require.Error(t, err)
	herr, ok := err.(*hasura.Error)
	require.Truef(t, ok, "want *hasura.Error, got %T: %v", err, err)
	require.Equal(t, code, herr.Code, herr.Message)
	require.Truef(t, strings.Contains(herr.Message, msg), "message %q should contain %q", herr.Message, msg)
}
