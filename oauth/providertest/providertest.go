// Package providertest runs OAuth 2.0 providers on loopback ports for tests:
// GitHub, Google and Apple as they answer (authorization page, token
// endpoint, profile API, signing keys), strict about what a real provider
// checks (client credentials, redirect URI, single-use codes, PKCE, Apple's
// signed client secret), so that a sign-in flow can be driven end to end
// by an HTTP client playing the browser. Test code only.
package providertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// Kind is which provider a Provider plays.
type Kind string

const (
	GitHub Kind = "github"
	Google Kind = "google"
	Apple  Kind = "apple"
)

// Account is the provider account that consents next.
type Account struct {
	ID       string
	Email    string
	Verified bool // the provider says the address is verified
	Name     string
	Picture  string
	Locale   string
}

// Provider is one fake provider.
type Provider struct {
	Kind         Kind
	ClientID     string
	ClientSecret string // GitHub, Google
	// Apple: the team, key id and key that sign client secrets.
	TeamID, KeyID string
	appleKey      *ecdsa.PrivateKey

	srv     *httptest.Server
	signing *rsa.PrivateKey // ID tokens (Google, Apple)
	kid     string

	mu          sync.Mutex
	now         func() time.Time
	next        Account
	deny        bool
	tokenStatus int              // the token endpoint's forced status; 0: normal
	codes       map[string]grant // authorization codes not yet used
	tokens      map[string]Account
	refresh     map[string]Account // refresh tokens not yet used (they rotate)
	tokenCalls  int
}

// grant is an authorization code's request.
type grant struct {
	account     Account
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
}

var (
	keyOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// signingKey is made once: RSA generation is slow under the race detector.
func signingKey() *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

// Start runs a provider of kind until the test ends.
func Start(t testing.TB, kind Kind) *Provider {
	t.Helper()
	p := &Provider{Kind: kind, ClientID: string(kind) + "-client", ClientSecret: string(kind) + "-secret",
		signing: signingKey(), kid: string(kind) + "-key", now: time.Now,
		codes: map[string]grant{}, tokens: map[string]Account{}, refresh: map[string]Account{}}
	if kind == Apple {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		p.appleKey, p.TeamID, p.KeyID, p.ClientSecret = k, "TEAM123456", "KEY1234567", ""
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /user", p.githubUser)
	mux.HandleFunc("GET /user/emails", p.githubEmails)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the provider's address.
func (p *Provider) URL() string { return p.srv.URL }

// SetClock makes ID tokens issued at now() (the server's clock in tests).
func (p *Provider) SetClock(now func() time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.now = now
}

// Env is the configuration that enables the provider against this server.
func (p *Provider) Env() map[string]string {
	prefix := "AUTH_PROVIDER_" + strings.ToUpper(string(p.Kind)) + "_"
	env := map[string]string{
		prefix + "ENABLED":           "true",
		prefix + "CLIENT_ID":         p.ClientID,
		prefix + "AUTHORIZATION_URL": p.srv.URL + "/authorize",
		prefix + "TOKEN_URL":         p.srv.URL + "/token",
	}
	switch p.Kind {
	case GitHub:
		env[prefix+"CLIENT_SECRET"] = p.ClientSecret
		env[prefix+"USER_PROFILE_URL"] = p.srv.URL + "/user"
	case Google:
		env[prefix+"CLIENT_SECRET"] = p.ClientSecret
		env[prefix+"USER_PROFILE_URL"] = p.srv.URL + "/userinfo"
		env[prefix+"JWKS_URL"] = p.srv.URL + "/jwks"
	case Apple:
		der, err := x509.MarshalPKCS8PrivateKey(p.appleKey)
		if err != nil {
			panic(err)
		}
		env[prefix+"TEAM_ID"], env[prefix+"KEY_ID"] = p.TeamID, p.KeyID
		env[prefix+"PRIVATE_KEY"] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		env[prefix+"JWKS_URL"] = p.srv.URL + "/jwks"
	}
	return env
}

// Next sets the account that consents at the next authorization.
func (p *Provider) Next(a Account) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next, p.deny = a, false
}

// DenyNext makes the next authorization end in the user declining.
func (p *Provider) DenyNext() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deny = true
}

// FailTokens makes the token endpoint answer status (0: normally again).
func (p *Provider) FailTokens(status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenStatus = status
}

// CodeFor issues a code as the provider would to another client that
// asked for it with redirectURI: what an attacker could obtain for their
// own application.
func (p *Provider) CodeFor(clientID, redirectURI string, a Account) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	code := randomString()
	p.codes[code] = grant{account: a, clientID: clientID, redirectURI: redirectURI}
	return code
}

// TokenCalls counts the token endpoint's requests.
func (p *Provider) TokenCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenCalls
}

func (p *Provider) issuer() string {
	if p.Kind == Apple {
		return "https://appleid.apple.com"
	}
	return "https://accounts.google.com"
}

// IDToken signs claims as the provider's ID token (standard claims
// first: iss, sub, email, iat, exp; claims override them).
func (p *Provider) IDToken(a Account, audience string, claims map[string]any) string {
	p.mu.Lock()
	now := p.now()
	p.mu.Unlock()
	return p.idTokenAt(now, a, audience, claims)
}

func (p *Provider) idTokenAt(now time.Time, a Account, audience string, claims map[string]any) string {
	c := jwt.MapClaims{"iss": p.issuer(), "aud": audience, "sub": a.ID, "iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix()}
	if a.Email != "" {
		c["email"] = a.Email
		c["email_verified"] = a.Verified
		if p.Kind == Apple {
			c["email_verified"] = strconv.FormatBool(a.Verified) // Apple writes it as a string
		}
	}
	if p.Kind == Google {
		for k, v := range map[string]string{"name": a.Name, "picture": a.Picture, "locale": a.Locale} {
			if v != "" {
				c[k] = v
			}
		}
	}
	for k, v := range claims {
		c[k] = v
	}
	return p.Sign(c)
}

// Sign signs any claims with the provider's key.
func (p *Provider) Sign(c jwt.MapClaims) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = p.kid
	s, err := tok.SignedString(p.signing)
	if err != nil {
		panic(err)
	}
	return s
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.signing.PublicKey, KeyID: p.kid, Algorithm: "RS256", Use: "sig"}}}
	writeJSON(w, http.StatusOK, set)
}

// authorize is the consent page: it answers at once as if the user had
// signed in and consented (or declined, after DenyNext).
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !redirect.IsAbs() || q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" || q.Get("state") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	if (p.Kind == Apple) != (q.Get("response_mode") == "form_post") {
		http.Error(w, "response_mode", http.StatusBadRequest)
		return
	}
	if c := q.Get("code_challenge"); c != "" && q.Get("code_challenge_method") != "S256" {
		http.Error(w, "only S256", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	deny, account := p.deny, p.next
	p.deny = false
	answer := url.Values{"state": {q.Get("state")}}
	if deny {
		answer.Set("error", "access_denied")
		answer.Set("error_description", "The user denied the request")
		if p.Kind == Apple {
			answer.Set("error", "user_cancelled_authorize")
		}
	} else {
		code := randomString()
		p.codes[code] = grant{account: account, clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"),
			challenge: q.Get("code_challenge"), nonce: q.Get("nonce")}
		answer.Set("code", code)
		if p.Kind == Apple && account.Name != "" {
			first, last, _ := strings.Cut(account.Name, " ")
			user, _ := json.Marshal(map[string]any{"name": map[string]string{"firstName": first, "lastName": last}, "email": account.Email})
			answer.Set("user", string(user))
		}
	}
	p.mu.Unlock()
	if p.Kind == Apple {
		// form_post: a page whose form posts the answer to the redirect URI.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b strings.Builder
		fmt.Fprintf(&b, `<html><body onload="document.forms[0].submit()"><form method="post" action="%s">`, html.EscapeString(redirect.String()))
		for k, vs := range answer {
			fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s"/>`, html.EscapeString(k), html.EscapeString(vs[0]))
		}
		b.WriteString(`</form></body></html>`)
		_, _ = w.Write([]byte(b.String()))
		return
	}
	rq := redirect.Query()
	for k, vs := range answer {
		rq[k] = vs
	}
	redirect.RawQuery = rq.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token exchanges a code, checking what the provider would.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenCalls++
	if p.tokenStatus != 0 {
		writeJSON(w, p.tokenStatus, map[string]string{"error": "server_error", "error_description": "try later"})
		return
	}
	if err := r.ParseForm(); err != nil || (r.PostForm.Get("grant_type") != "authorization_code" && r.PostForm.Get("grant_type") != "refresh_token") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	f := r.PostForm
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	if id != p.ClientID || !p.clientSecretOK(secret) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if f.Get("grant_type") == "refresh_token" {
		p.refreshGrant(w, f.Get("refresh_token"))
		return
	}
	g, ok := p.codes[f.Get("code")]
	delete(p.codes, f.Get("code")) // single use, even when refused below
	switch {
	case !ok || g.clientID != id || g.redirectURI != f.Get("redirect_uri"):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "bad code"})
		return
	case g.challenge != "" && s256(f.Get("code_verifier")) != g.challenge,
		g.challenge == "" && f.Get("code_verifier") != "":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "PKCE"})
		return
	}
	access, refresh := randomString(), randomString()
	p.tokens[access], p.refresh[refresh] = g.account, g.account
	answer := map[string]any{"access_token": access, "token_type": "bearer", "expires_in": 3600, "refresh_token": refresh}
	if p.Kind != GitHub {
		answer["id_token"] = p.idTokenAt(p.now(), g.account, p.ClientID, map[string]any{"nonce": g.nonce})
	}
	writeJSON(w, http.StatusOK, answer)
}

// refreshGrant answers the refresh_token grant (the client is checked):
// new tokens, and a new refresh token in place of the one used.
func (p *Provider) refreshGrant(w http.ResponseWriter, token string) {
	a, ok := p.refresh[token]
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "bad refresh token"})
		return
	}
	delete(p.refresh, token)
	access, refresh := randomString(), randomString()
	p.tokens[access], p.refresh[refresh] = a, a
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "bearer", "expires_in": 1800, "refresh_token": refresh})
}

// IsAccessToken says whether token is an access token the provider issued.
func (p *Provider) IsAccessToken(token string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.tokens[token]
	return ok
}

// clientSecretOK checks the client's secret; Apple's is an ES256 JWT the
// client signs with its key.
func (p *Provider) clientSecretOK(secret string) bool {
	if p.Kind != Apple {
		return subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) == 1
	}
	var c jwt.RegisteredClaims
	tok, err := jwt.ParseWithClaims(secret, &c, func(*jwt.Token) (any, error) { return &p.appleKey.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(p.TeamID), jwt.WithSubject(p.ClientID),
		jwt.WithAudience("https://appleid.apple.com"), jwt.WithExpirationRequired())
	return err == nil && tok.Header["kid"] == p.KeyID
}

// account is the holder of the request's access token.
func (p *Provider) account(r *http.Request) (Account, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	defer p.mu.Unlock()
	a, found := p.tokens[tok]
	return a, ok && found
}

func (p *Provider) githubUser(w http.ResponseWriter, r *http.Request) {
	a, ok := p.account(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	id, _ := strconv.Atoi(a.ID)
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "login": "login-" + a.ID, "name": a.Name, "avatar_url": a.Picture})
}

func (p *Provider) githubEmails(w http.ResponseWriter, r *http.Request) {
	a, ok := p.account(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	emails := []map[string]any{}
	if a.Email != "" {
		emails = append(emails, map[string]any{"email": a.Email, "primary": true, "verified": a.Verified, "visibility": "private"})
	}
	writeJSON(w, http.StatusOK, emails)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
