package providers_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/stretchr/testify/require"
)

// answer is one canned HTTP answer of a fake provider.
type answer struct {
	status      int
	contentType string
	body        string
}

func jsonAnswer(body string) answer { return answer{status: 200, body: body} }

// fake is a provider's token endpoint and API on a loopback port. It checks
// PKCE like the real thing: when the test tells it the challenge the
// authorization URL carried, the token request's verifier must match it.
type fake struct {
	srv *httptest.Server

	mu        sync.Mutex
	token     answer
	pages     map[string]answer // by path
	challenge string            // "" expects no code_verifier
	tokenForm url.Values        // the last token request, form and basic auth merged
	seen      map[string]http.Header
	hits      map[string]int
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{pages: map[string]answer{}, seen: map[string]http.Header{}, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) url(path string) string { return f.srv.URL + path }

func (f *fake) set(path string, a answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pages[path] = a
}

func (f *fake) setToken(a answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = a
}

func (f *fake) expectChallenge(c string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.challenge = c
}

func (f *fake) hitCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func (f *fake) header(path string) http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[path]
}

func (f *fake) lastTokenRequest() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenForm
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[r.URL.Path]++
	f.seen[r.URL.Path] = r.Header.Clone()
	if r.URL.Path == "/token" {
		f.serveToken(w, r)
		return
	}
	a, ok := f.pages[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	write(w, a)
}

func (f *fake) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, "bad token request", http.StatusBadRequest)
		return
	}
	form := url.Values{}
	for k, v := range r.PostForm {
		form[k] = v
	}
	if id, secret, ok := r.BasicAuth(); ok {
		form.Set("basic_client_id", id)
		form.Set("basic_client_secret", secret)
	}
	f.tokenForm = form
	verifier := r.PostForm.Get("code_verifier")
	switch {
	case f.challenge == "" && verifier != "":
		write(w, answer{status: 400, body: `{"error":"invalid_request","error_description":"unexpected code_verifier"}`})
		return
	case f.challenge != "" && s256(verifier) != f.challenge:
		write(w, answer{status: 400, body: `{"error":"invalid_grant","error_description":"PKCE verification failed"}`})
		return
	}
	write(w, f.token)
}

func write(w http.ResponseWriter, a answer) {
	ct := a.contentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 64)
	for _, b := range sum {
		out = append(out, digits[b>>4], digits[b&15])
	}
	return string(out)
}

// tokenJSON is a token endpoint's success answer (RFC 6749, 5.1).
func tokenJSON(extra string) answer {
	body := `{"access_token":"at-1","token_type":"bearer","expires_in":3600,"refresh_token":"rt-1"` + extra + `}`
	return jsonAnswer(body)
}

// signingKey is an RSA key with its id, serving as a provider's JWKS.
type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

var (
	keysOnce sync.Once
	keyA     signingKey
	keyB     signingKey
)

// testKeys are made once: RSA generation is slow under the race detector.
func testKeys(t testing.TB) (signingKey, signingKey) {
	t.Helper()
	keysOnce.Do(func() {
		a, errA := rsa.GenerateKey(rand.Reader, 2048)
		b, errB := rsa.GenerateKey(rand.Reader, 2048)
		if errA != nil || errB != nil {
			panic("rsa keys")
		}
		keyA, keyB = signingKey{kid: "key-a", key: a}, signingKey{kid: "key-b", key: b}
	})
	return keyA, keyB
}

// jwks is the public JWKS of keys.
func jwks(keys ...signingKey) string {
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.key.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"})
	}
	b, _ := json.Marshal(set)
	return string(b)
}

// sign makes an RS256 JWT with key's id in its header.
func sign(t testing.TB, k signingKey, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = k.kid
	s, err := tok.SignedString(k.key)
	require.NoError(t, err)
	return s
}

// authParams is the query of an authorization URL.
func authParams(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query()
}

// registry builds providers from cfg, after setting each to the fake.
func registry(t *testing.T, cfg providers.Config, now func() time.Time) *providers.Registry {
	t.Helper()
	reg, err := providers.New(cfg, providers.Options{
		CallbackBaseURL: "https://auth.example.com/v1",
		HTTPClient:      &http.Client{Timeout: 5 * time.Second},
		Now:             now,
	})
	require.NoError(t, err)
	return reg
}

// requireKind checks an error's kind and stage.
func requireKind(t *testing.T, err error, kind error, stage providers.Stage) *providers.Error {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, kind, "%v", err)
	var pe *providers.Error
	require.True(t, errors.As(err, &pe), "%T is not *providers.Error", err)
	require.Equal(t, stage, pe.Stage, "%v", err)
	return pe
}

func background() context.Context { return context.Background() }
