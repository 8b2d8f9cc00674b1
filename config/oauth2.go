package config

import (
	"net/url"
	"strings"
	"time"
)

// OAuth2ProviderConfig is the OpenID Connect provider (package oidcprovider),
// with nhost's AUTH_OAUTH2_PROVIDER_* variables.
type OAuth2ProviderConfig struct {
	Enabled bool
	// LoginURLRaw is AUTH_OAUTH2_PROVIDER_LOGIN_URL as given; LoginURL derives the default.
	LoginURLRaw     string
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	CIMDEnabled     bool // client ids that are HTTPS URLs of client metadata documents
	// CIMDAllowInsecureTransport: metadata documents over plain HTTP and at
	// private or loopback addresses (development and tests only).
	CIMDAllowInsecureTransport bool
}

func oauth2ProviderVars() []Var {
	p := func(c *Config) *OAuth2ProviderConfig { return &c.OAuth2Provider }
	return []Var{
		v("AUTH_OAUTH2_PROVIDER_ENABLED", "false", toBool(func(c *Config) *bool { return &p(c).Enabled }),
			"true: serve /oauth2/* and /.well-known/openid-configuration. Needs an asymmetric signing key: generated keys (HASURA_GRAPHQL_JWT_SECRET unset) or an RS*/ES*/Ed25519 secret with its signing_key.").ours(),
		v("AUTH_OAUTH2_PROVIDER_LOGIN_URL", "", toText(func(c *Config) *string { return &p(c).LoginURLRaw }),
			"Page of your front end where users sign in and consent; /oauth2/authorize redirects there with ?request_id=. Default AUTH_CLIENT_URL/oauth2/login.").ours(),
		v("AUTH_OAUTH2_PROVIDER_ACCESS_TOKEN_TTL", "900", toSeconds(func(c *Config) *time.Duration { return &p(c).AccessTokenTTL }),
			"Lifetime of access and ID tokens issued to applications, seconds.").ours(),
		v("AUTH_OAUTH2_PROVIDER_REFRESH_TOKEN_TTL", "2592000", toSeconds(func(c *Config) *time.Duration { return &p(c).RefreshTokenTTL }),
			"Lifetime of applications' refresh tokens, seconds, sliding on each refresh (30 days).").ours(),
		v("AUTH_OAUTH2_PROVIDER_CIMD_ENABLED", "false", toBool(func(c *Config) *bool { return &p(c).CIMDEnabled }),
			"true: a client id may be the HTTPS URL of a client metadata document (MCP clients, CLIs), fetched and cached for an hour.").ours(),
		v("AUTH_OAUTH2_PROVIDER_CIMD_ALLOW_INSECURE_TRANSPORT", "false", toBool(func(c *Config) *bool { return &p(c).CIMDAllowInsecureTransport }),
			"true: also fetch metadata documents over http:// and from private or loopback addresses. Development and tests only.").ours(),
	}
}

// LoginURL is where /oauth2/authorize sends the user: AUTH_OAUTH2_PROVIDER_LOGIN_URL,
// else AUTH_CLIENT_URL + /oauth2/login.
func (o OAuth2ProviderConfig) LoginURL(clientURL string) string {
	if o.LoginURLRaw != "" {
		return o.LoginURLRaw
	}
	if clientURL == "" {
		return ""
	}
	return strings.TrimRight(clientURL, "/") + "/oauth2/login"
}

func (c *Config) validateOAuth2Provider(bad func(name, format string, args ...any)) {
	o := c.OAuth2Provider
	if o.LoginURLRaw != "" {
		if u, err := url.Parse(o.LoginURLRaw); err != nil || u.Scheme == "" || u.Host == "" {
			bad("AUTH_OAUTH2_PROVIDER_LOGIN_URL", "must be an absolute URL")
		}
	}
	if o.AccessTokenTTL < time.Second {
		bad("AUTH_OAUTH2_PROVIDER_ACCESS_TOKEN_TTL", "must be at least 1 second")
	}
	if o.RefreshTokenTTL < time.Minute {
		bad("AUTH_OAUTH2_PROVIDER_REFRESH_TOKEN_TTL", "must be at least 60 seconds")
	}
	if !o.Enabled {
		return
	}
	if o.LoginURL(c.ClientURL) == "" {
		bad("AUTH_OAUTH2_PROVIDER_LOGIN_URL", "is needed with AUTH_OAUTH2_PROVIDER_ENABLED=true (or AUTH_CLIENT_URL, whose /oauth2/login is the default)")
	}
	if c.JWTSecret != nil {
		if _, shared := c.JWTSecret.SignKey.([]byte); shared {
			// Applications verify ID tokens with the keys at /oauth2/jwks; a
			// shared secret cannot be published without giving away the power
			// to sign every token Hasura accepts.
			bad("AUTH_OAUTH2_PROVIDER_ENABLED", "needs an asymmetric signing key, and HASURA_GRAPHQL_JWT_SECRET is %s (a shared secret, which cannot be published at /oauth2/jwks): "+
				"unset HASURA_GRAPHQL_JWT_SECRET so the server signs with generated keys (Hasura then takes {\"jwk_url\": \"<AUTH_SERVER_URL>/.well-known/jwks.json\"}), "+
				"or configure an RS*, ES* or Ed25519 key with its signing_key", c.JWTSecret.Type)
		}
	}
}
