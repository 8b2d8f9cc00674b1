package providers_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/stretchr/testify/require"
)

// Google's ID token claims:
// https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload
func googleClaims(nonce string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "https://accounts.google.com", "azp": "client-1", "aud": "client-1",
		"sub": "110169484474386276334", "email": "jsmith@example.com", "email_verified": true,
		"at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q", "name": "Jane Smith", "picture": "https://lh3.googleusercontent.com/a/photo.jpg",
		"given_name": "Jane", "family_name": "Smith", "locale": "en-GB", "nonce": nonce,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func TestGoogle(t *testing.T) {
	key, other := testKeys(t)
	s := oauthSetup{name: "google", pkce: true, scope: "openid email profile", enable: func(c *providers.Config, f *fake) {
		common(&c.Google.OAuth2, f, "/oauth2/v2/userinfo")
		c.Google.JWKSURL = f.url("/jwks")
	}}
	now := time.Now()
	cases := []struct {
		name   string
		claims func(nonce string) jwt.MapClaims
		key    signingKey
		want   providers.Profile
		fail   bool
	}{
		{name: "verified account", claims: func(n string) jwt.MapClaims { return googleClaims(n, now) }, key: key,
			want: providers.Profile{ProviderUserID: "110169484474386276334", Email: "jsmith@example.com", EmailVerified: true,
				DisplayName: "Jane Smith", AvatarURL: "https://lh3.googleusercontent.com/a/photo.jpg", Locale: "en"}},
		{name: "issuer without scheme", key: key, claims: func(n string) jwt.MapClaims {
			c := googleClaims(n, now)
			c["iss"], c["email_verified"] = "accounts.google.com", false
			return c
		}, want: providers.Profile{ProviderUserID: "110169484474386276334", Email: "jsmith@example.com",
			DisplayName: "Jane Smith", AvatarURL: "https://lh3.googleusercontent.com/a/photo.jpg", Locale: "en"}},
		{name: "nonce of another request", key: key, fail: true,
			claims: func(string) jwt.MapClaims { return googleClaims("replayed", now) }},
		{name: "issued to another client", key: key, fail: true, claims: func(n string) jwt.MapClaims {
			c := googleClaims(n, now)
			c["aud"] = "someone-else"
			return c
		}},
		{name: "signed by an unknown key", key: other, fail: true,
			claims: func(n string) jwt.MapClaims { return googleClaims(n, now) }},
		{name: "expired", key: key, fail: true,
			claims: func(n string) jwt.MapClaims { return googleClaims(n, now.Add(-2*time.Hour)) }},
		{name: "another issuer", key: key, fail: true, claims: func(n string) jwt.MapClaims {
			c := googleClaims(n, now)
			c["iss"] = "https://evil.example.com"
			return c
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.set("/jwks", jsonAnswer(jwks(key)))
			p, ar := start(t, s, f)
			nonce := authParams(t, ar.URL).Get("nonce")
			require.NotEmpty(t, nonce)
			require.Equal(t, ar.Pending.Nonce, nonce)
			f.setToken(tokenJSON(`,"id_token":"` + sign(t, tc.key, tc.claims(nonce)) + `"`))
			id, err := p.Complete(background(), providers.Callback{State: "state-1", Code: "code-1"}, ar.Pending)
			if tc.fail {
				requireKind(t, err, providers.ErrBadResponse, providers.StageExchange)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, id.Profile)
			require.Zero(t, f.hitCount("/oauth2/v2/userinfo"), "the ID token carries the profile")
		})
	}
	t.Run("token answer without id_token", func(t *testing.T) {
		f := newFake(t)
		f.setToken(tokenJSON(""))
		_, err := signIn(t, s, f)
		requireKind(t, err, providers.ErrBadResponse, providers.StageExchange)
	})
	runErrors(t, s, nil)

	// Without the openid scope there is no ID token: the userinfo endpoint
	// (https://www.googleapis.com/oauth2/v2/userinfo) gives the profile.
	plain := oauthSetup{name: "google", pkce: true, profilePath: "/oauth2/v2/userinfo", scope: "email profile",
		enable: func(c *providers.Config, f *fake) {
			s.enable(c, f)
			c.Google.Scope = []string{"email", "profile"}
		}}
	runProfiles(t, plain, []profileCase{
		{name: "userinfo", pages: map[string]answer{"/oauth2/v2/userinfo": jsonAnswer(`{"id":"110169484474386276334",
			"email":"jsmith@example.com","verified_email":true,"name":"Jane Smith","given_name":"Jane","family_name":"Smith",
			"picture":"https://lh3.googleusercontent.com/a/photo.jpg","locale":"de"}`)},
			want: providers.Profile{ProviderUserID: "110169484474386276334", Email: "jsmith@example.com", EmailVerified: true,
				DisplayName: "Jane Smith", AvatarURL: "https://lh3.googleusercontent.com/a/photo.jpg", Locale: "de"}},
	})
	runErrors(t, plain, nil)
}

var (
	appleKeyOnce sync.Once
	appleKey     *ecdsa.PrivateKey
	appleKeyPEM  string
)

// appleTeamKey is a P-256 key in PKCS#8 PEM, as Apple's .p8 files hold.
func appleTeamKey(t *testing.T) (*ecdsa.PrivateKey, string) {
	t.Helper()
	appleKeyOnce.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		der, err := x509.MarshalPKCS8PrivateKey(k)
		require.NoError(t, err)
		appleKey, appleKeyPEM = k, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	})
	return appleKey, appleKeyPEM
}

// Apple's ID token: https://developer.apple.com/documentation/signinwithapplerestapi/authenticating-users-with-sign-in-with-apple
func appleClaims(nonce string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "https://appleid.apple.com", "aud": "com.example.web", "sub": "001234.5c9e1a3b0f2d4e6f8a7b.0123",
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "nonce": nonce, "nonce_supported": true,
		"c_hash": "x0ZbOa1nOyRsW-ON2Vz5Bw", "email": "abc123@privaterelay.appleid.com",
		"email_verified": "true", "is_private_email": "true", "auth_time": now.Unix(),
	}
}

func TestApple(t *testing.T) {
	key, _ := testKeys(t)
	teamKey, teamPEM := appleTeamKey(t)
	clock := time.Now().Truncate(time.Second)
	enable := func(c *providers.Config, f *fake) {
		c.Apple = providers.Apple{Enabled: true, ClientID: "com.example.web", TeamID: "TEAM123456", KeyID: "KEY1234567",
			PrivateKey: teamPEM, AuthorizationURL: f.url("/auth/authorize"), TokenURL: f.url("/token"), JWKSURL: f.url("/auth/keys")}
	}
	begin := func(t *testing.T, f *fake) (providers.Provider, providers.AuthRequest, string) {
		t.Helper()
		var cfg providers.Config
		enable(&cfg, f)
		p, ok := registry(t, cfg, func() time.Time { return clock }).Provider("apple")
		require.True(t, ok)
		ar, err := p.AuthRequest(background(), "state-1")
		require.NoError(t, err)
		q := authParams(t, ar.URL)
		require.Equal(t, "form_post", q.Get("response_mode"))
		require.Equal(t, "name email", q.Get("scope"))
		require.Empty(t, q.Get("code_challenge"), "Apple does not document PKCE")
		require.NotEmpty(t, q.Get("nonce"))
		f.set("/auth/keys", jsonAnswer(jwks(key)))
		return p, ar, q.Get("nonce")
	}

	t.Run("first consent, form_post callback with the user's name", func(t *testing.T) {
		f := newFake(t)
		p, ar, nonce := begin(t, f)
		f.setToken(tokenJSON(`,"id_token":"` + sign(t, key, appleClaims(nonce, clock)) + `"`))
		// Apple posts the form to the callback.
		form := url.Values{"state": {"state-1"}, "code": {"c1"},
			"user": {`{"name":{"firstName":"John","lastName":"Appleseed"},"email":"abc123@privaterelay.appleid.com"}`}}
		id, err := p.Complete(background(), providers.ParseCallback(form), ar.Pending)
		require.NoError(t, err)
		require.Equal(t, providers.Profile{ProviderUserID: "001234.5c9e1a3b0f2d4e6f8a7b.0123",
			Email: "abc123@privaterelay.appleid.com", EmailVerified: true, DisplayName: "John Appleseed"}, id.Profile)

		// The client secret is an ES256 JWT signed with the team's key.
		req := f.lastTokenRequest()
		require.Equal(t, "com.example.web", req.Get("client_id"))
		secret, err := jwt.Parse(req.Get("client_secret"), func(*jwt.Token) (any, error) { return &teamKey.PublicKey, nil },
			jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(func() time.Time { return clock }),
			jwt.WithIssuer("TEAM123456"), jwt.WithAudience("https://appleid.apple.com"), jwt.WithSubject("com.example.web"))
		require.NoError(t, err)
		require.Equal(t, "KEY1234567", secret.Header["kid"])
		exp, _ := secret.Claims.GetExpirationTime()
		require.Equal(t, clock.Add(5*time.Minute), exp.Time)
	})
	t.Run("later sign-in: no name, boolean email_verified", func(t *testing.T) {
		f := newFake(t)
		p, ar, nonce := begin(t, f)
		c := appleClaims(nonce, clock)
		c["email_verified"] = true
		f.setToken(tokenJSON(`,"id_token":"` + sign(t, key, c) + `"`))
		id, err := p.Complete(background(), providers.Callback{State: "state-1", Code: "c1"}, ar.Pending)
		require.NoError(t, err)
		require.Equal(t, "abc123@privaterelay.appleid.com", id.Profile.DisplayName, "named after the address, as hasura-auth")
		require.True(t, id.Profile.EmailVerified)
	})
	t.Run("unverified address", func(t *testing.T) {
		f := newFake(t)
		p, ar, nonce := begin(t, f)
		c := appleClaims(nonce, clock)
		c["email_verified"] = "false"
		f.setToken(tokenJSON(`,"id_token":"` + sign(t, key, c) + `"`))
		id, err := p.Complete(background(), providers.Callback{State: "state-1", Code: "c1", User: "not json"}, ar.Pending)
		require.NoError(t, err)
		require.False(t, id.Profile.EmailVerified)
	})
	for name, mutate := range map[string]func(jwt.MapClaims){
		"nonce of another request": func(c jwt.MapClaims) { c["nonce"] = "other" },
		"issued to another app":    func(c jwt.MapClaims) { c["aud"] = "com.example.other" },
		"expired":                  func(c jwt.MapClaims) { c["exp"] = clock.Add(-time.Minute).Unix() },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			p, ar, nonce := begin(t, f)
			c := appleClaims(nonce, clock)
			mutate(c)
			f.setToken(tokenJSON(`,"id_token":"` + sign(t, key, c) + `"`))
			_, err := p.Complete(background(), providers.Callback{State: "state-1", Code: "c1"}, ar.Pending)
			requireKind(t, err, providers.ErrBadResponse, providers.StageExchange)
		})
	}
	t.Run("user cancelled", func(t *testing.T) {
		f := newFake(t)
		p, ar, _ := begin(t, f)
		_, err := p.Complete(background(), providers.ParseCallback(url.Values{"state": {"state-1"},
			"error": {"user_cancelled_authorize"}}), ar.Pending)
		requireKind(t, err, providers.ErrDenied, providers.StageCallback)
	})
}

// ID tokens native apps obtained themselves, for POST /signin/idtoken.
func TestIDTokenGoogleAndApple(t *testing.T) {
	key, other := testKeys(t)
	f := newFake(t)
	f.set("/google/certs", jsonAnswer(jwks(key)))
	f.set("/apple/keys", jsonAnswer(jwks(key)))
	now := time.Now()
	cfg := providers.Config{
		Google: providers.Google{Audience: []string{"web.apps.googleusercontent.com", "ios.apps.googleusercontent.com"},
			JWKSURL: f.url("/google/certs")},
		Apple: providers.Apple{Audience: []string{"com.example.ios"}, JWKSURL: f.url("/apple/keys")},
	}
	reg := registry(t, cfg, func() time.Time { return now })
	require.Empty(t, reg.Enabled(), "audiences alone enable ID-token sign-in, not the redirect flow")
	google, ok := reg.IDTokenVerifier("google")
	require.True(t, ok)
	apple, ok := reg.IDTokenVerifier("apple")
	require.True(t, ok)
	_, ok = reg.IDTokenVerifier("github")
	require.False(t, ok)

	raw := "client-nonce-1"
	gc := googleClaims(hexSHA256(raw), now)
	gc["aud"] = "ios.apps.googleusercontent.com"
	p, err := google.Verify(background(), sign(t, key, gc), raw)
	require.NoError(t, err)
	require.Equal(t, providers.Profile{ProviderUserID: "110169484474386276334", Email: "jsmith@example.com", EmailVerified: true,
		DisplayName: "Jane Smith", AvatarURL: "https://lh3.googleusercontent.com/a/photo.jpg", Locale: "en"}, p)

	ac := appleClaims(hexSHA256(raw), now)
	ac["aud"] = "com.example.ios"
	p, err = apple.Verify(background(), sign(t, key, ac), raw)
	require.NoError(t, err)
	require.Equal(t, providers.Profile{ProviderUserID: "001234.5c9e1a3b0f2d4e6f8a7b.0123",
		Email: "abc123@privaterelay.appleid.com", EmailVerified: true}, p)

	for name, tc := range map[string]struct {
		v     *providers.IDTokenVerifier
		token string
		nonce string
	}{
		"raw nonce in the token":      {google, sign(t, key, withAud(googleClaims(raw, now), "web.apps.googleusercontent.com")), raw},
		"Apple token to Google":       {google, sign(t, key, ac), raw},
		"Google audience not listed":  {google, sign(t, key, googleClaims(hexSHA256(raw), now)), raw},
		"Apple token by another key":  {apple, sign(t, other, ac), raw},
		"Apple token without a nonce": {apple, sign(t, key, ac), ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.v.Verify(background(), tc.token, tc.nonce)
			requireKind(t, err, providers.ErrInvalidIDToken, providers.StageIDToken)
		})
	}
}

func withAud(c jwt.MapClaims, aud string) jwt.MapClaims {
	c["aud"] = aud
	return c
}
