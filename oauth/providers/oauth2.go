package providers

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"time"

	"golang.org/x/oauth2"
)

// deps are what every provider is built with.
type deps struct {
	callbackBase string
	client       *http.Client
	now          func() time.Time
	keyRefetch   time.Duration
}

// redirectURL is the provider's callback on this server.
func (d deps) redirectURL(name string) string {
	return d.callbackBase + "/signin/provider/" + name + "/callback"
}

// profileFunc reads the account after the code exchange.
type profileFunc func(ctx context.Context, tok *oauth2.Token, cb Callback, pending Pending) (Profile, error)

// oauth2Provider is an OAuth 2.0 authorization-code client; each provider
// sets what differs: PKCE, nonce, extra parameters, how to read the profile.
type oauth2Provider struct {
	name   string
	conf   oauth2.Config
	api    api
	client *http.Client
	// pkce sends an S256 challenge; only where the provider documents it,
	// as some reject unknown parameters at the token endpoint.
	pkce bool
	// nonce sends a nonce for the ID token to carry.
	nonce      bool
	authParams []oauth2.AuthCodeOption
	// clientSecret, when set, makes the secret for each token request
	// (Apple's is a short-lived JWT).
	clientSecret func() (string, error)
	profile      profileFunc
	// specific turns a sign-in's provider-specific parameters into
	// authorization parameters, sent after (so in place of) authParams.
	specific func(Specific) []oauth2.AuthCodeOption
}

func newOAuth2(name string, c OAuth2, style oauth2.AuthStyle, d deps) *oauth2Provider {
	return &oauth2Provider{
		name: name,
		conf: oauth2.Config{
			ClientID:     c.ClientID,
			ClientSecret: c.ClientSecret,
			RedirectURL:  d.redirectURL(name),
			Scopes:       c.Scope,
			Endpoint:     oauth2.Endpoint{AuthURL: c.AuthorizationURL, TokenURL: c.TokenURL, AuthStyle: style},
		},
		api:    api{provider: name, client: d.client},
		client: d.client,
	}
}

func (p *oauth2Provider) Name() string { return p.name }

func (p *oauth2Provider) AuthRequest(_ context.Context, state string, specific ...Specific) (AuthRequest, error) {
	var pending Pending
	opts := slices.Clone(p.authParams)
	if p.specific != nil {
		for _, s := range specific {
			opts = append(opts, p.specific(s)...)
		}
	}
	if p.pkce {
		pending.CodeVerifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(pending.CodeVerifier))
	}
	if p.nonce {
		pending.Nonce = randomToken()
		opts = append(opts, oauth2.SetAuthURLParam("nonce", pending.Nonce))
	}
	return AuthRequest{URL: p.conf.AuthCodeURL(state, opts...), Pending: pending}, nil
}

func (p *oauth2Provider) Complete(ctx context.Context, cb Callback, pending Pending) (Identity, error) {
	if err := callbackError(p.name, cb); err != nil {
		return Identity{}, err
	}
	bad := func(msg string) (Identity, error) {
		return Identity{}, newError(p.name, StageCallback, ErrBadCallback, errors.New(msg))
	}
	switch {
	case cb.Code == "":
		return bad("the callback has no code")
	case p.pkce && pending.CodeVerifier == "":
		return bad("the pending request has no PKCE verifier")
	case p.nonce && pending.Nonce == "":
		return bad("the pending request has no nonce")
	}
	conf, err := p.config()
	if err != nil {
		return Identity{}, err
	}
	var opts []oauth2.AuthCodeOption
	if p.pkce {
		opts = append(opts, oauth2.VerifierOption(pending.CodeVerifier))
	}
	tok, err := conf.Exchange(context.WithValue(ctx, oauth2.HTTPClient, p.client), cb.Code, opts...)
	if err != nil {
		return Identity{}, exchangeError(p.name, err)
	}
	profile, err := p.profile(ctx, tok, cb, pending)
	if err != nil {
		return Identity{}, err
	}
	if profile.ProviderUserID == "" {
		return Identity{}, newError(p.name, StageProfile, ErrBadResponse, errors.New("the profile has no account id"))
	}
	return Identity{Profile: profile, Token: Token{
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		Expiry:       tok.Expiry,
	}}, nil
}

// config is the client's configuration for one token request, with a
// fresh client secret where the provider needs one made (Apple).
func (p *oauth2Provider) config() (oauth2.Config, error) {
	conf := p.conf
	if p.clientSecret != nil {
		secret, err := p.clientSecret()
		if err != nil {
			return conf, newError(p.name, StageExchange, ErrBadResponse, err)
		}
		conf.ClientSecret = secret
	}
	return conf, nil
}

// Refresh uses the refresh_token grant (RFC 6749 section 6). x/oauth2
// keeps the old refresh token when the answer has no new one.
func (p *oauth2Provider) Refresh(ctx context.Context, refreshToken string) (Token, error) {
	if refreshToken == "" {
		return Token{}, newError(p.name, StageExchange, ErrProvider, errors.New("no refresh token"))
	}
	conf, err := p.config()
	if err != nil {
		return Token{}, err
	}
	tok, err := conf.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, p.client), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return Token{}, exchangeError(p.name, err)
	}
	return Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}, nil
}

// simpleProfile reads one JSON document with the access token and maps it.
func simpleProfile[T any](a api, url string, header http.Header, mapping func(T) Profile) profileFunc {
	return func(ctx context.Context, tok *oauth2.Token, _ Callback, _ Pending) (Profile, error) {
		var doc T
		if err := a.get(ctx, url, tok.AccessToken, header, &doc); err != nil {
			return Profile{}, err
		}
		return mapping(doc), nil
	}
}

// randomToken is 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics if the OS cannot give randomness)
	return base64.RawURLEncoding.EncodeToString(b)
}
