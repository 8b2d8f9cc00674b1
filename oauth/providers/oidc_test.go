package providers_test

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/hasura-auth-go/auth/testsupport"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/require"
)

// person is a mockoidc user with the profile claims mockoidc's own user
// lacks. thin keeps them out of the ID token (userinfo only), as some
// providers do.
type person struct {
	sub, email, name, picture, locale string
	verified, thin                    bool
}

func (p *person) ID() string { return p.sub }

func (p *person) profileClaims() map[string]any {
	return map[string]any{"sub": p.sub, "email": p.email, "email_verified": p.verified,
		"name": p.name, "picture": p.picture, "locale": p.locale}
}

func (p *person) Userinfo([]string) ([]byte, error) { return json.Marshal(p.profileClaims()) }

type personClaims struct {
	*mockoidc.IDTokenClaims
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
	Name          string `json:"name,omitempty"`
	Picture       string `json:"picture,omitempty"`
	Locale        string `json:"locale,omitempty"`
}

func (p *person) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if p.thin {
		return base, nil
	}
	return &personClaims{IDTokenClaims: base, Email: p.email, EmailVerified: p.verified,
		Name: p.name, Picture: p.picture, Locale: p.locale}, nil
}

// op is mockoidc, a real OpenID provider, on a loopback port. Its JWKS
// answer is wrapped so that tests can publish extra keys (a rotation) and
// count fetches.
type op struct {
	*mockoidc.MockOIDC
	jwksHits atomic.Int64
	mu       sync.Mutex
	extra    []signingKey
}

func startOP(t *testing.T) *op {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	require.NoError(t, err)
	o := &op{MockOIDC: m}
	require.NoError(t, m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != mockoidc.JWKSEndpoint {
				next.ServeHTTP(w, r)
				return
			}
			o.jwksHits.Add(1)
			o.mu.Lock()
			extra := o.extra
			o.mu.Unlock()
			var set struct {
				Keys []json.RawMessage `json:"keys"`
			}
			own, err := m.Keypair.JWKS()
			if err == nil {
				err = json.Unmarshal(own, &set)
			}
			var more struct {
				Keys []json.RawMessage `json:"keys"`
			}
			if err == nil && len(extra) > 0 {
				err = json.Unmarshal([]byte(jwks(extra...)), &more)
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			set.Keys = append(set.Keys, more.Keys...)
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(set)
		})
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, m.Start(ln, nil))
	t.Cleanup(func() { _ = m.Shutdown() })
	return o
}

func (o *op) publish(k signingKey) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.extra = append(o.extra, k)
}

func (o *op) config() providers.Config {
	return providers.Config{OIDC: providers.OIDC{Enabled: true, Issuer: o.Issuer(), ClientID: o.ClientID, ClientSecret: o.ClientSecret}}
}

// authorize plays the browser: it follows the authorization URL to the
// provider, which answers with a redirect to our callback.
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/v1/signin/provider/oidc/callback", loc.Path)
	return loc.Query()
}

func TestOIDCSignIn(t *testing.T) {
	o := startOP(t)
	reg := registry(t, o.config(), nil)
	p, ok := reg.Provider("oidc")
	require.True(t, ok)

	jane := &person{sub: "jane-1", email: "jane@example.com", verified: true, name: "Jane Doe",
		picture: "https://idp.example.com/jane.png", locale: "nl-NL"}
	cases := []struct {
		name string
		who  *person
		want providers.Profile
	}{
		{name: "claims in the ID token", who: jane, want: providers.Profile{ProviderUserID: "jane-1", Email: "jane@example.com",
			EmailVerified: true, DisplayName: "Jane Doe", AvatarURL: "https://idp.example.com/jane.png", Locale: "nl"}},
		{name: "thin ID token, claims from userinfo", who: &person{sub: "kim-2", email: "kim@example.com", name: "Kim",
			locale: "en", thin: true},
			want: providers.Profile{ProviderUserID: "kim-2", Email: "kim@example.com", DisplayName: "Kim", Locale: "en"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o.QueueUser(tc.who)
			ar, err := p.AuthRequest(background(), "state-oidc")
			require.NoError(t, err)
			q := authParams(t, ar.URL)
			require.Equal(t, "S256", q.Get("code_challenge_method"), "discovery advertises S256")
			require.Equal(t, "openid email profile", q.Get("scope"))
			require.Equal(t, ar.Pending.Nonce, q.Get("nonce"))

			cb := providers.ParseCallback(authorize(t, ar.URL))
			require.Equal(t, "state-oidc", cb.State)
			id, err := p.Complete(background(), cb, ar.Pending)
			require.NoError(t, err)
			require.Equal(t, tc.want, id.Profile)
			require.NotEmpty(t, id.Token.AccessToken)
			require.NotEmpty(t, id.Token.RefreshToken)
		})
	}

	t.Run("code exchanged with another request's verifier", func(t *testing.T) {
		o.QueueUser(jane)
		ar, err := p.AuthRequest(background(), "s1")
		require.NoError(t, err)
		other, err := p.AuthRequest(background(), "s2")
		require.NoError(t, err)
		cb := providers.ParseCallback(authorize(t, ar.URL))
		pending := ar.Pending
		pending.CodeVerifier = other.Pending.CodeVerifier
		_, err = p.Complete(background(), cb, pending)
		pe := requireKind(t, err, providers.ErrProvider, providers.StageExchange)
		require.Equal(t, "invalid_grant", pe.Code)
	})
	t.Run("ID token with another request's nonce", func(t *testing.T) {
		o.QueueUser(jane)
		ar, err := p.AuthRequest(background(), "s1")
		require.NoError(t, err)
		cb := providers.ParseCallback(authorize(t, ar.URL))
		pending := ar.Pending
		pending.Nonce = "nonce-of-another-request"
		_, err = p.Complete(background(), cb, pending)
		requireKind(t, err, providers.ErrBadResponse, providers.StageExchange)
	})
	t.Run("code used twice", func(t *testing.T) {
		o.QueueUser(jane)
		ar, err := p.AuthRequest(background(), "s1")
		require.NoError(t, err)
		cb := providers.ParseCallback(authorize(t, ar.URL))
		_, err = p.Complete(background(), cb, ar.Pending)
		require.NoError(t, err)
		_, err = p.Complete(background(), cb, ar.Pending)
		requireKind(t, err, providers.ErrProvider, providers.StageExchange)
	})
	t.Run("code for another client", func(t *testing.T) {
		cfg := o.config()
		cfg.OIDC.ClientID = "another-client"
		p2, _ := registry(t, cfg, nil).Provider("oidc")
		o.QueueUser(jane)
		ar, err := p.AuthRequest(background(), "s1")
		require.NoError(t, err)
		cb := providers.ParseCallback(authorize(t, ar.URL))
		_, err = p2.Complete(background(), cb, ar.Pending)
		pe := requireKind(t, err, providers.ErrProvider, providers.StageExchange)
		require.Equal(t, "invalid_client", pe.Code)
	})
	t.Run("provider error on the callback", func(t *testing.T) {
		_, err := p.Complete(background(), providers.ParseCallback(url.Values{"state": {"s"}, "error": {"access_denied"}}), providers.Pending{})
		requireKind(t, err, providers.ErrDenied, providers.StageCallback)
	})
}

func TestOIDCDiscoveryFailure(t *testing.T) {
	cfg := providers.Config{OIDC: providers.OIDC{Enabled: true, Issuer: "http://127.0.0.1:1/realms/none", ClientID: "c"}}
	reg := registry(t, cfg, nil)
	p, _ := reg.Provider("oidc")
	_, err := p.AuthRequest(background(), "s")
	requireKind(t, err, providers.ErrUnavailable, providers.StageAuthorize)
	v, _ := reg.IDTokenVerifier("oidc")
	_, err = v.Verify(background(), "x.y.z", "")
	requireKind(t, err, providers.ErrUnavailable, providers.StageIDToken)

	o := startOP(t)
	cfg = o.config()
	cfg.OIDC.Issuer += "/" // discovery must name exactly the configured issuer
	p, _ = registry(t, cfg, nil).Provider("oidc")
	_, err = p.AuthRequest(background(), "s")
	requireKind(t, err, providers.ErrBadResponse, providers.StageAuthorize)
}

// idClaims are a good ID token's claims from the OP, for the client's raw
// nonce (the token carries its hex SHA-256).
func idClaims(o *op, now time.Time, rawNonce string) jwt.MapClaims {
	c := jwt.MapClaims{"iss": o.Issuer(), "aud": o.ClientID, "sub": "jane-1", "email": "jane@example.com",
		"email_verified": true, "name": "Jane Doe", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if rawNonce != "" {
		c["nonce"] = hexSHA256(rawNonce)
	}
	return c
}

func opSign(t *testing.T, o *op, c jwt.MapClaims) string {
	t.Helper()
	s, err := o.Keypair.SignJWT(c)
	require.NoError(t, err)
	return s
}

// unsigned is a token with alg "none".
func unsigned(c jwt.MapClaims) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(c) + "."
}

func TestOIDCIDToken(t *testing.T) {
	o := startOP(t)
	clock := testsupport.NewClock()
	reg := registry(t, o.config(), clock.Now)
	v, ok := reg.IDTokenVerifier("oidc")
	require.True(t, ok)
	_, foreign := testKeys(t)
	const nonce = "raw-client-nonce"

	p, err := v.Verify(background(), opSign(t, o, idClaims(o, clock.Now(), nonce)), nonce)
	require.NoError(t, err)
	require.Equal(t, providers.Profile{ProviderUserID: "jane-1", Email: "jane@example.com", EmailVerified: true,
		DisplayName: "Jane Doe"}, p)

	ownKID, err := o.Keypair.KeyID()
	require.NoError(t, err)
	publicAsHMAC := func() string {
		// Algorithm confusion: HS256 "signed" with the OP's public key.
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, idClaims(o, clock.Now(), nonce))
		tok.Header["kid"] = ownKID
		s, err := tok.SignedString([]byte(jwks(signingKey{kid: ownKID, key: o.Keypair.PrivateKey})))
		require.NoError(t, err)
		return s
	}
	otherKey := func() string {
		// Another key claiming the OP's key id.
		return sign(t, signingKey{kid: ownKID, key: foreign.key}, idClaims(o, clock.Now(), nonce))
	}
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := idClaims(o, clock.Now(), nonce)
		edit(c)
		return c
	}
	bad := map[string]struct {
		token string
		nonce string
	}{
		"another key":                {otherKey(), nonce},
		"wrong audience":             {opSign(t, o, claims(func(c jwt.MapClaims) { c["aud"] = "someone-else" })), nonce},
		"wrong issuer":               {opSign(t, o, claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example.com" })), nonce},
		"expired":                    {opSign(t, o, claims(func(c jwt.MapClaims) { c["exp"] = clock.Now().Add(-time.Minute).Unix() })), nonce},
		"not yet valid":              {opSign(t, o, claims(func(c jwt.MapClaims) { c["nbf"] = clock.Now().Add(time.Hour).Unix() })), nonce},
		"alg none":                   {unsigned(idClaims(o, clock.Now(), nonce)), nonce},
		"alg none, no signature":     {strings.TrimSuffix(unsigned(idClaims(o, clock.Now(), nonce)), "."), nonce},
		"HS256 with public key":      {publicAsHMAC(), nonce},
		"nonce mismatch":             {opSign(t, o, idClaims(o, clock.Now(), nonce)), "another-nonce"},
		"raw nonce in token":         {opSign(t, o, claims(func(c jwt.MapClaims) { c["nonce"] = nonce })), nonce},
		"token nonce, none given":    {opSign(t, o, idClaims(o, clock.Now(), nonce)), ""},
		"nonce given, none in token": {opSign(t, o, claims(func(c jwt.MapClaims) { delete(c, "nonce") })), nonce},
		"no subject":                 {opSign(t, o, claims(func(c jwt.MapClaims) { delete(c, "sub") })), nonce},
		"garbage":                    {"not.a.jwt", nonce},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(background(), tc.token, tc.nonce)
			requireKind(t, err, providers.ErrInvalidIDToken, providers.StageIDToken)
		})
	}
	t.Run("no nonce on either side", func(t *testing.T) {
		_, err := v.Verify(background(), opSign(t, o, idClaims(o, clock.Now(), "")), "")
		require.NoError(t, err)
	})

	t.Run("unknown key id: one refetch, then rate-limited", func(t *testing.T) {
		_, rotated := testKeys(t)
		rotated.kid = "rotated"
		fetched := o.jwksHits.Load()
		require.GreaterOrEqual(t, fetched, int64(1))

		// The provider rotates; a minute later a token names the new key.
		o.publish(rotated)
		clock.Advance(61 * time.Second)
		_, err := v.Verify(background(), sign(t, rotated, idClaims(o, clock.Now(), nonce)), nonce)
		require.NoError(t, err)
		require.Equal(t, fetched+1, o.jwksHits.Load(), "an unknown key id refetches the key set once")

		// Forged key ids right after: no fetch.
		for _, kid := range []string{"forged-1", "forged-2", "forged-3"} {
			_, err := v.Verify(background(), sign(t, signingKey{kid: kid, key: foreign.key}, idClaims(o, clock.Now(), nonce)), nonce)
			requireKind(t, err, providers.ErrInvalidIDToken, providers.StageIDToken)
		}
		require.Equal(t, fetched+1, o.jwksHits.Load(), "at most one fetch a minute")

		clock.Advance(61 * time.Second)
		_, err = v.Verify(background(), sign(t, signingKey{kid: "forged-4", key: foreign.key}, idClaims(o, clock.Now(), nonce)), nonce)
		requireKind(t, err, providers.ErrInvalidIDToken, providers.StageIDToken)
		require.Equal(t, fetched+2, o.jwksHits.Load(), "a minute later an unknown key id may refetch again")

		// Known keys keep verifying without fetching.
		_, err = v.Verify(background(), opSign(t, o, idClaims(o, clock.Now(), nonce)), nonce)
		require.NoError(t, err)
		require.Equal(t, fetched+2, o.jwksHits.Load())
	})
}
