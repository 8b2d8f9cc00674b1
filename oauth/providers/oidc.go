package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// oidcProvider is any OpenID Connect provider, found by discovery on first
// use (not at start, so an identity provider that is down does not stop the
// server; a failed discovery is retried on the next request).
type oidcProvider struct {
	cfg OIDC
	d   deps

	mu    sync.Mutex
	found *oidcFound
}

// oidcFound is what discovery yields.
type oidcFound struct {
	flow     *oauth2Provider
	verifier *oidc.IDTokenVerifier
}

const oidcName = "oidc"

func newOIDC(c OIDC, d deps) *oidcProvider { return &oidcProvider{cfg: c, d: d} }

func (o *oidcProvider) Name() string { return oidcName }

func (o *oidcProvider) AuthRequest(ctx context.Context, state string, specific ...Specific) (AuthRequest, error) {
	f, err := o.discover(ctx, StageAuthorize)
	if err != nil {
		return AuthRequest{}, err
	}
	return f.flow.AuthRequest(ctx, state, specific...)
}

func (o *oidcProvider) Refresh(ctx context.Context, refreshToken string) (Token, error) {
	f, err := o.discover(ctx, StageExchange)
	if err != nil {
		return Token{}, err
	}
	return f.flow.Refresh(ctx, refreshToken)
}

func (o *oidcProvider) Complete(ctx context.Context, cb Callback, pending Pending) (Identity, error) {
	f, err := o.discover(ctx, StageExchange)
	if err != nil {
		return Identity{}, err
	}
	return f.flow.Complete(ctx, cb, pending)
}

// idTokenVerifier checks ID tokens issued to any of the configured
// audiences (the client id by default).
func (o *oidcProvider) idTokenVerifier() *IDTokenVerifier {
	audiences := o.cfg.Audience
	if len(audiences) == 0 {
		audiences = []string{o.cfg.ClientID}
	}
	return &IDTokenVerifier{claims: o.cfg.claimMap(), check: o.check(audiences, StageIDToken)}
}

func (o *oidcProvider) check(audiences []string, stage Stage) *idTokenCheck {
	return &idTokenCheck{provider: oidcName, audiences: audiences,
		verifier: func(ctx context.Context) (*oidc.IDTokenVerifier, error) {
			f, err := o.discover(ctx, stage)
			if err != nil {
				return nil, err
			}
			return f.verifier, nil
		}}
}

// discoveryDoc is the part of the discovery document go-oidc does not expose.
type discoveryDoc struct {
	JWKSURL              string   `json:"jwks_uri"`
	CodeChallengeMethods []string `json:"code_challenge_methods_supported"`
	TokenAuthMethods     []string `json:"token_endpoint_auth_methods_supported"`
	SigningAlgs          []string `json:"id_token_signing_alg_values_supported"`
}

func (o *oidcProvider) discover(ctx context.Context, stage Stage) (*oidcFound, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.found != nil {
		return o.found, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.d.client), o.cfg.Issuer)
	if err != nil {
		return nil, newError(oidcName, stage, transportKind(err), fmt.Errorf("discovery: %w", err))
	}
	var doc discoveryDoc
	if err := p.Claims(&doc); err != nil || doc.JWKSURL == "" {
		return nil, newError(oidcName, stage, ErrBadResponse, errors.New("discovery: no jwks_uri"))
	}
	algs := asymmetricAlgs(doc.SigningAlgs)
	if len(algs) == 0 {
		return nil, newError(oidcName, stage, ErrBadResponse,
			fmt.Errorf("discovery: no supported ID token signing algorithm in %q", doc.SigningAlgs))
	}
	verifier := oidc.NewVerifier(o.cfg.Issuer, newKeySet(doc.JWKSURL, o.d), &oidc.Config{
		SkipClientIDCheck: true, SupportedSigningAlgs: algs, Now: o.d.now,
	})
	ep := p.Endpoint()
	flow := newOAuth2(oidcName, OAuth2{
		ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Scope: o.cfg.Scope,
		AuthorizationURL: ep.AuthURL, TokenURL: ep.TokenURL,
	}, tokenAuthStyle(doc.TokenAuthMethods), o.d)
	flow.pkce = slices.Contains(doc.CodeChallengeMethods, "S256")
	flow.nonce = true
	found := &oidcFound{flow: flow, verifier: verifier}
	flowCheck := &idTokenCheck{provider: oidcName, audiences: []string{o.cfg.ClientID},
		verifier: func(context.Context) (*oidc.IDTokenVerifier, error) { return verifier, nil }}
	flow.profile = o.profileFunc(flowCheck, flow.api, p.UserInfoEndpoint())
	o.found = found
	return found, nil
}

// profileFunc reads the profile from the ID token, filling claims it lacks
// from the userinfo endpoint (some providers keep ID tokens thin).
func (o *oidcProvider) profileFunc(check *idTokenCheck, a api, userinfoURL string) profileFunc {
	names := o.cfg.claimMap()
	return func(ctx context.Context, tok *oauth2.Token, _ Callback, pending Pending) (Profile, error) {
		claims, err := check.fromTokenResponse(ctx, tok, pending.Nonce)
		if err != nil {
			return Profile{}, err
		}
		if userinfoURL != "" && claims.lacksAny(names) {
			var body json.RawMessage
			if err := a.get(ctx, userinfoURL, tok.AccessToken, nil, &body); err != nil {
				return Profile{}, err
			}
			info, err := decodeClaims(body)
			if err != nil {
				return Profile{}, newError(oidcName, StageProfile, ErrBadResponse, fmt.Errorf("userinfo: %w", err))
			}
			// The userinfo answer must be about the same person (OpenID
			// Connect Core 5.3.2).
			if info.str("sub") != claims.str("sub") {
				return Profile{}, newError(oidcName, StageProfile, ErrBadResponse, errors.New("userinfo is about another subject"))
			}
			claims.fillFrom(info, names)
		}
		return claims.profile(names), nil
	}
}

// lacksAny says whether a mapped claim is absent.
func (c claimSet) lacksAny(n claimNames) bool {
	for _, k := range []string{n.ID, n.Email, n.Name, n.Picture, n.Locale} {
		if _, ok := c[k]; !ok {
			return true
		}
	}
	return false
}

// fillFrom copies the mapped claims c lacks from other. The email's
// verified flag always comes from the document that gave the email.
func (c claimSet) fillFrom(other claimSet, n claimNames) {
	if _, ok := c[n.Email]; !ok {
		if v, ok := other[n.Email]; ok {
			c[n.Email] = v
			delete(c, n.EmailVerified)
			if ev, ok := other[n.EmailVerified]; ok {
				c[n.EmailVerified] = ev
			}
		}
	}
	for _, k := range []string{n.ID, n.Name, n.Picture, n.Locale} {
		if _, ok := c[k]; !ok {
			if v, ok := other[k]; ok {
				c[k] = v
			}
		}
	}
}

// asymmetricAlgs keeps the advertised algorithms this package verifies;
// RS256 when none is advertised (OpenID Connect Discovery requires it).
func asymmetricAlgs(advertised []string) []string {
	if len(advertised) == 0 {
		return []string{oidc.RS256}
	}
	var out []string
	for _, a := range advertised {
		for _, s := range signingAlgs {
			if a == string(s) {
				out = append(out, a)
			}
		}
	}
	return out
}

// tokenAuthStyle follows token_endpoint_auth_methods_supported; the
// default is client_secret_basic (OpenID Connect Discovery 1.0, 3).
func tokenAuthStyle(methods []string) oauth2.AuthStyle {
	basic := len(methods) == 0 || slices.Contains(methods, "client_secret_basic")
	post := slices.Contains(methods, "client_secret_post")
	switch {
	case basic && !post:
		return oauth2.AuthStyleInHeader
	case post && !basic:
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleAutoDetect
}

// The generic provider refreshes as the OAuth 2.0 ones do.
var _ Refresher = (*oidcProvider)(nil)
