package providers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Options are the settings from outside this package's Config.
type Options struct {
	// CallbackBaseURL is where this server is reached, AUTH_SERVER_URL
	// followed by AUTH_API_PREFIX; callbacks are
	// <CallbackBaseURL>/signin/provider/<name>/callback.
	CallbackBaseURL string
	// HTTPClient talks to the providers; nil means one with a 10-second
	// timeout.
	HTTPClient *http.Client
	// Now is the clock for ID-token expiry, Apple's client secrets and the
	// key cache; nil means time.Now.
	Now func() time.Time
	// KeyRefetchInterval is the least time between two fetches of a
	// provider's JWKS; zero means one minute.
	KeyRefetchInterval time.Duration
}

// Registry holds the enabled providers and ID-token verifiers.
type Registry struct {
	providers map[string]Provider
	idTokens  map[string]*IDTokenVerifier
}

// Provider returns the enabled provider with that name.
func (r *Registry) Provider(name string) (Provider, bool) {
	p, ok := r.providers[name]
	return p, ok
}

// Enabled lists the enabled providers' names, sorted.
func (r *Registry) Enabled() []string {
	names := make([]string, 0, len(r.providers))
	for n := range r.providers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// IDTokenVerifier returns the verifier for POST /signin/idtoken's provider
// field: "google" and "apple" when their AUDIENCE is set, "oidc" when the
// generic provider is enabled.
func (r *Registry) IDTokenVerifier(provider string) (*IDTokenVerifier, bool) {
	v, ok := r.idTokens[provider]
	return v, ok
}

// New validates cfg and builds the enabled providers. Empty settings take
// their defaults first (an empty SCOPE means the provider's default scopes,
// as in hasura-auth). Nothing is fetched from the network here.
func New(cfg Config, opts Options) (*Registry, error) {
	cfg.fillDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := deps{callbackBase: strings.TrimSuffix(opts.CallbackBaseURL, "/"), client: opts.HTTPClient,
		now: opts.Now, keyRefetch: opts.KeyRefetchInterval}
	if d.client == nil {
		d.client = &http.Client{Timeout: 10 * time.Second}
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.keyRefetch <= 0 {
		d.keyRefetch = keyRefetchInterval
	}
	r := &Registry{providers: map[string]Provider{}, idTokens: map[string]*IDTokenVerifier{}}
	if len(cfg.enabled()) > 0 {
		if u, err := url.Parse(d.callbackBase); err != nil || !u.IsAbs() || u.Host == "" {
			return nil, errors.New("providers: AUTH_SERVER_URL must be an absolute URL for provider callbacks")
		}
	}
	if err := r.build(cfg, d); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Registry) build(cfg Config, d deps) error {
	add := func(enabled bool, make func() Provider) {
		if enabled {
			p := make()
			r.providers[p.Name()] = p
		}
	}
	google := newKeySet(cfg.Google.JWKSURL, d)
	if cfg.Google.Enabled {
		check := staticIDTokenCheck("google", googleIssuer, []string{cfg.Google.ClientID}, google, d)
		add(true, func() Provider { return newGoogle(cfg.Google, check, d) })
	}
	if len(cfg.Google.Audience) > 0 {
		r.idTokens["google"] = &IDTokenVerifier{claims: standardClaims,
			check: staticIDTokenCheck("google", googleIssuer, cfg.Google.Audience, google, d)}
	}
	apple := newKeySet(cfg.Apple.JWKSURL, d)
	if cfg.Apple.Enabled {
		key, err := parseApplePrivateKey(cfg.Apple.PrivateKey)
		if err != nil {
			return fmt.Errorf("providers: AUTH_PROVIDER_APPLE_PRIVATE_KEY: %w", err)
		}
		secret := &appleSecret{teamID: cfg.Apple.TeamID, keyID: cfg.Apple.KeyID, clientID: cfg.Apple.ClientID, key: key, now: d.now}
		check := staticIDTokenCheck("apple", appleIssuer, []string{cfg.Apple.ClientID}, apple, d)
		add(true, func() Provider { return newApple(cfg.Apple, check, secret, d) })
	}
	if len(cfg.Apple.Audience) > 0 {
		r.idTokens["apple"] = &IDTokenVerifier{claims: standardClaims,
			check: staticIDTokenCheck("apple", appleIssuer, cfg.Apple.Audience, apple, d)}
	}
	if cfg.OIDC.Enabled {
		o := newOIDC(cfg.OIDC, d)
		r.providers[o.Name()] = o
		r.idTokens[o.Name()] = o.idTokenVerifier()
	}
	add(cfg.AzureAD.Enabled, func() Provider { return newAzureAD(cfg.AzureAD, d) })
	add(cfg.Bitbucket.Enabled, func() Provider { return newBitbucket(cfg.Bitbucket, d) })
	add(cfg.Discord.Enabled, func() Provider { return newDiscord(cfg.Discord, d) })
	add(cfg.EntraID.Enabled, func() Provider { return newEntraID(cfg.EntraID, d) })
	add(cfg.Facebook.Enabled, func() Provider { return newFacebook(cfg.Facebook, d) })
	add(cfg.GitHub.Enabled, func() Provider { return newGitHub(cfg.GitHub, d) })
	add(cfg.GitLab.Enabled, func() Provider { return newGitLab(cfg.GitLab, d) })
	add(cfg.LinkedIn.Enabled, func() Provider { return newLinkedIn(cfg.LinkedIn, d) })
	add(cfg.Spotify.Enabled, func() Provider { return newSpotify(cfg.Spotify, d) })
	add(cfg.Strava.Enabled, func() Provider { return newStrava(cfg.Strava, d) })
	add(cfg.Twitch.Enabled, func() Provider { return newTwitch(cfg.Twitch, d) })
	add(cfg.Twitter.Enabled, func() Provider { return newTwitter(cfg.Twitter, d) })
	add(cfg.WindowsLive.Enabled, func() Provider { return newWindowsLive(cfg.WindowsLive, d) })
	add(cfg.WorkOS.Enabled, func() Provider { return newWorkOS(cfg.WorkOS, d) })
	return nil
}
