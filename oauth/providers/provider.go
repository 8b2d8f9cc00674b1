// Package providers holds the clients of the identity providers users sign in
// with: hasura-auth's OAuth providers (Apple, Azure AD, Bitbucket, Discord,
// Entra ID, Facebook, GitHub, GitLab, Google, LinkedIn, Spotify, Strava,
// Twitch, Twitter, Windows Live, WorkOS), a generic OpenID Connect provider
// configured by discovery, and the ID-token verifiers behind
// POST /signin/idtoken and /link/idtoken.
//
// The package knows nothing of users, sessions or HTTP routes. A sign-in flow
// calls Provider.AuthRequest when the browser starts, keeps the returned
// Pending with its own request record (server side), and calls
// Provider.Complete with the callback's parameters and that Pending. Every
// provider answers with the same normalised Profile.
package providers

import (
	"context"
	"net/url"
	"time"
)

// Provider is one configured identity provider.
type Provider interface {
	// Name is the provider's path segment: "github", "apple", "oidc", ….
	Name() string
	// AuthRequest builds the URL to send the browser to. state is the
	// flow's own opaque, unguessable value; it comes back in the callback.
	// For OAuth 1.0a (Twitter) this calls the provider to obtain a request
	// token. specific (at most one) carries the sign-in's provider-specific
	// parameters; a provider ignores those it does not know.
	AuthRequest(ctx context.Context, state string, specific ...Specific) (AuthRequest, error)
	// Complete turns the callback into an identity: it checks the callback
	// against pending, exchanges the code (or OAuth 1.0a verifier) and reads
	// the profile. The flow must have matched cb.State to its request first.
	Complete(ctx context.Context, cb Callback, pending Pending) (Identity, error)
}

// Specific are nhost's providerSpecificParams of GET
// /signin/provider/{provider}: values a provider forwards to its
// authorization page in place of its configured defaults. Only WorkOS has
// any (which SSO connection or organization signs the user in).
type Specific struct {
	Connection   string
	Organization string
}

// Refresher is a provider whose access tokens can be renewed with a refresh
// token (every OAuth 2.0 provider; not Twitter's OAuth 1.0a).
type Refresher interface {
	// Refresh trades refreshToken for new tokens at the provider's token
	// endpoint. The returned RefreshToken is the provider's new one, or
	// refreshToken itself when the provider does not rotate them.
	Refresh(ctx context.Context, refreshToken string) (Token, error)
}

// AuthRequest is where to send the browser and what to keep until the
// callback.
type AuthRequest struct {
	URL     string
	Pending Pending
}

// Pending is what the flow keeps between AuthRequest and Complete, server
// side, with its request record, for that one request. Its values are
// secrets (a PKCE verifier or an OAuth 1.0a token secret lets whoever holds
// it finish the sign-in): keep them out of logs and of the browser, and
// prefer sealing them at rest. Empty fields are those the provider does not
// use.
type Pending struct {
	// CodeVerifier is the PKCE verifier whose S256 challenge was sent.
	CodeVerifier string `json:"codeVerifier,omitempty"`
	// Nonce was sent to an OpenID provider; its ID token must carry it.
	Nonce string `json:"nonce,omitempty"`
	// RequestToken and RequestTokenSecret are OAuth 1.0a temporary
	// credentials (Twitter).
	RequestToken       string `json:"requestToken,omitempty"`
	RequestTokenSecret string `json:"requestTokenSecret,omitempty"`
}

// Callback holds the parameters a provider sends back, from the query string
// of GET /signin/provider/{provider}/callback or the form of its POST
// (response_mode=form_post, as Apple uses).
type Callback struct {
	State            string
	Code             string
	Error            string
	ErrorDescription string
	ErrorURI         string
	// User is Apple's JSON with the user's name, sent on first consent only.
	User string
	// OAuth 1.0a (Twitter).
	OAuthToken    string
	OAuthVerifier string
	Denied        string
}

// ParseCallback reads a callback's parameters from a query string or form.
func ParseCallback(v url.Values) Callback {
	return Callback{
		State:            v.Get("state"),
		Code:             v.Get("code"),
		Error:            v.Get("error"),
		ErrorDescription: v.Get("error_description"),
		ErrorURI:         v.Get("error_uri"),
		User:             v.Get("user"),
		OAuthToken:       v.Get("oauth_token"),
		OAuthVerifier:    v.Get("oauth_verifier"),
		Denied:           v.Get("denied"),
	}
}

// Identity is the outcome of a completed sign-in at a provider.
type Identity struct {
	Profile Profile
	Token   Token
}

// Profile is a provider's account, normalised.
type Profile struct {
	// ProviderUserID is the provider's stable id of the account, in the
	// form hasura-auth stores it in auth.user_providers.provider_user_id.
	ProviderUserID string
	// Email may be empty: some providers have none (Strava) or the user
	// withheld it.
	Email string
	// EmailVerified is true only when the provider asserts that the user
	// controls Email. Linking to an existing account by email must require
	// it.
	EmailVerified bool
	DisplayName   string
	AvatarURL     string
	// Locale is a lower-case two-letter language code ("en") or empty.
	Locale string
}

// Token is what the provider granted, for storage in auth.user_providers.
// All of it is secret.
type Token struct {
	AccessToken  string
	RefreshToken string
	// Expiry is when AccessToken expires; zero when the provider did not say.
	Expiry time.Time
	// TokenSecret is the OAuth 1.0a token secret (Twitter); it signs every
	// request made with AccessToken.
	TokenSecret string
}
