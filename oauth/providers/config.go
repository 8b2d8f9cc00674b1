package providers

import (
	"reflect"
	"strconv"
	"strings"
)

// Config holds every provider's settings. Each field's environment variable
// is its struct's `env` prefix followed by the field's `env` suffix
// (AUTH_PROVIDER_GITHUB_ + CLIENT_ID); Variables lists them all, with their
// defaults. Lists are comma-separated in the environment, as in hasura-auth.
// Variables hasura-auth has keep its names; the URL overrides, JWKS_URL,
// USER_EMAILS_URL and the whole of AUTH_PROVIDER_OIDC_* are ours.
type Config struct {
	Apple       Apple        `env:"AUTH_PROVIDER_APPLE_" title:"Apple"`
	AzureAD     Microsoft    `env:"AUTH_PROVIDER_AZUREAD_" title:"Azure AD"`
	Bitbucket   OAuth2Emails `env:"AUTH_PROVIDER_BITBUCKET_" title:"Bitbucket"`
	Discord     OAuth2       `env:"AUTH_PROVIDER_DISCORD_" title:"Discord"`
	EntraID     Microsoft    `env:"AUTH_PROVIDER_ENTRAID_" title:"Microsoft Entra ID"`
	Facebook    OAuth2       `env:"AUTH_PROVIDER_FACEBOOK_" title:"Facebook"`
	GitHub      OAuth2Emails `env:"AUTH_PROVIDER_GITHUB_" title:"GitHub"`
	GitLab      OAuth2       `env:"AUTH_PROVIDER_GITLAB_" title:"GitLab"`
	Google      Google       `env:"AUTH_PROVIDER_GOOGLE_" title:"Google"`
	LinkedIn    OAuth2       `env:"AUTH_PROVIDER_LINKEDIN_" title:"LinkedIn"`
	Spotify     OAuth2       `env:"AUTH_PROVIDER_SPOTIFY_" title:"Spotify"`
	Strava      OAuth2       `env:"AUTH_PROVIDER_STRAVA_" title:"Strava"`
	Twitch      OAuth2       `env:"AUTH_PROVIDER_TWITCH_" title:"Twitch"`
	Twitter     Twitter      `env:"AUTH_PROVIDER_TWITTER_" title:"Twitter"`
	WindowsLive OAuth2       `env:"AUTH_PROVIDER_WINDOWS_LIVE_" title:"Windows Live"`
	WorkOS      WorkOS       `env:"AUTH_PROVIDER_WORKOS_" title:"WorkOS"`
	OIDC        OIDC         `env:"AUTH_PROVIDER_OIDC_" title:"OpenID Connect"`
}

// OAuth2 is what every OAuth 2.0 provider has. An empty Scope means the
// provider's default scopes, as in hasura-auth.
type OAuth2 struct {
	Enabled          bool     `env:"ENABLED"`
	ClientID         string   `env:"CLIENT_ID"`
	ClientSecret     string   `env:"CLIENT_SECRET" secret:"true" json:"-"`
	Scope            []string `env:"SCOPE"`
	AuthorizationURL string   `env:"AUTHORIZATION_URL"`
	TokenURL         string   `env:"TOKEN_URL"`
	UserProfileURL   string   `env:"USER_PROFILE_URL"`
}

// OAuth2Emails is a provider whose email addresses come from a second
// endpoint (GitHub, Bitbucket). An empty UserEmailsURL means
// UserProfileURL + "/emails", which is right for github.com, GitHub
// Enterprise (…/api/v3/user) and Bitbucket.
type OAuth2Emails struct {
	OAuth2
	UserEmailsURL string `env:"USER_EMAILS_URL"`
}

// Microsoft is Azure AD (v1 endpoints) or Entra ID (v2). An empty
// AuthorizationURL or TokenURL is derived from Tenant.
type Microsoft struct {
	OAuth2
	Tenant string `env:"TENANT"`
}

// Google also verifies ID tokens from native apps for POST /signin/idtoken
// when Audience is set, whether or not Enabled is.
type Google struct {
	OAuth2
	Audience []string `env:"AUDIENCE"`
	JWKSURL  string   `env:"JWKS_URL"`
}

// Apple signs its client secret itself: an ES256 JWT from TeamID, KeyID and
// PrivateKey (the .p8 key as PEM, PEM with literal \n, or base64 of the PEM).
// Audience enables ID-token sign-in, whether or not Enabled is.
type Apple struct {
	Enabled          bool     `env:"ENABLED"`
	ClientID         string   `env:"CLIENT_ID"`
	TeamID           string   `env:"TEAM_ID"`
	KeyID            string   `env:"KEY_ID"`
	PrivateKey       string   `env:"PRIVATE_KEY" secret:"true" json:"-"`
	Scope            []string `env:"SCOPE"`
	Audience         []string `env:"AUDIENCE"`
	AuthorizationURL string   `env:"AUTHORIZATION_URL"`
	TokenURL         string   `env:"TOKEN_URL"`
	JWKSURL          string   `env:"JWKS_URL"`
}

// Twitter speaks OAuth 1.0a.
type Twitter struct {
	Enabled          bool   `env:"ENABLED"`
	ConsumerKey      string `env:"CONSUMER_KEY"`
	ConsumerSecret   string `env:"CONSUMER_SECRET" secret:"true" json:"-"`
	RequestTokenURL  string `env:"REQUEST_TOKEN_URL"`
	AuthorizationURL string `env:"AUTHORIZATION_URL"`
	AccessTokenURL   string `env:"ACCESS_TOKEN_URL"`
	UserProfileURL   string `env:"USER_PROFILE_URL"`
}

// WorkOS has no scopes; the defaults pick the connection when the client
// does not.
type WorkOS struct {
	Enabled             bool   `env:"ENABLED"`
	ClientID            string `env:"CLIENT_ID"`
	ClientSecret        string `env:"CLIENT_SECRET" secret:"true" json:"-"`
	DefaultOrganization string `env:"DEFAULT_ORGANIZATION"`
	DefaultConnection   string `env:"DEFAULT_CONNECTION"`
	DefaultDomain       string `env:"DEFAULT_DOMAIN"`
	AuthorizationURL    string `env:"AUTHORIZATION_URL"`
	TokenURL            string `env:"TOKEN_URL"`
	UserProfileURL      string `env:"USER_PROFILE_URL"`
}

// OIDC is any OpenID Connect provider found by discovery at
// Issuer/.well-known/openid-configuration (Keycloak, Auth0, Okta, Zitadel,
// Dex, Authentik, …). Audience, when empty, is ClientID; it is what ID tokens
// given to POST /signin/idtoken must be issued to. The Claim* fields name the
// claims holding each profile field.
type OIDC struct {
	Enabled            bool     `env:"ENABLED"`
	Issuer             string   `env:"ISSUER"`
	ClientID           string   `env:"CLIENT_ID"`
	ClientSecret       string   `env:"CLIENT_SECRET" secret:"true" json:"-"`
	Scope              []string `env:"SCOPE"`
	Audience           []string `env:"AUDIENCE"`
	ClaimID            string   `env:"CLAIM_ID"`
	ClaimEmail         string   `env:"CLAIM_EMAIL"`
	ClaimEmailVerified string   `env:"CLAIM_EMAIL_VERIFIED"`
	ClaimName          string   `env:"CLAIM_NAME"`
	ClaimPicture       string   `env:"CLAIM_PICTURE"`
	ClaimLocale        string   `env:"CLAIM_LOCALE"`
}

func (o OIDC) claimMap() claimNames {
	return claimNames{ID: o.ClaimID, Email: o.ClaimEmail, EmailVerified: o.ClaimEmailVerified,
		Name: o.ClaimName, Picture: o.ClaimPicture, Locale: o.ClaimLocale}
}

// Defaults are hasura-auth's defaults (scopes, endpoints, tenant), and ours
// for what hasura-auth does not have. Every provider is disabled.
func Defaults() Config {
	oauth := func(auth, token, profile string, scope ...string) OAuth2 {
		return OAuth2{AuthorizationURL: auth, TokenURL: token, UserProfileURL: profile, Scope: scope}
	}
	microsoft := func(profile string, scope ...string) Microsoft {
		return Microsoft{OAuth2: oauth("", "", profile, scope...), Tenant: "common"}
	}
	return Config{
		Apple: Apple{
			Scope:            []string{"name", "email"},
			AuthorizationURL: "https://appleid.apple.com/auth/authorize",
			TokenURL:         "https://appleid.apple.com/auth/token",
			JWKSURL:          "https://appleid.apple.com/auth/keys",
		},
		AzureAD: microsoft("", "email", "profile", "openid", "offline_access"),
		Bitbucket: OAuth2Emails{OAuth2: oauth("https://bitbucket.org/site/oauth2/authorize",
			"https://bitbucket.org/site/oauth2/access_token", "https://api.bitbucket.org/2.0/user", "account")},
		Discord: oauth("https://discord.com/api/oauth2/authorize", "https://discord.com/api/oauth2/token",
			"https://discord.com/api/users/@me", "identify", "email"),
		EntraID: microsoft("https://graph.microsoft.com/oidc/userinfo", "email", "profile", "openid", "offline_access"),
		Facebook: oauth("https://www.facebook.com/v22.0/dialog/oauth", "https://graph.facebook.com/v22.0/oauth/access_token",
			"https://graph.facebook.com/me?fields=id,name,email,picture", "email"),
		GitHub: OAuth2Emails{OAuth2: oauth("https://github.com/login/oauth/authorize",
			"https://github.com/login/oauth/access_token", "https://api.github.com/user", "user:email")},
		GitLab: oauth("https://gitlab.com/oauth/authorize", "https://gitlab.com/oauth/token",
			"https://gitlab.com/api/v4/user", "read_user"),
		Google: Google{
			OAuth2: oauth("https://accounts.google.com/o/oauth2/auth", "https://oauth2.googleapis.com/token",
				"https://www.googleapis.com/oauth2/v2/userinfo", "openid", "email", "profile"),
			JWKSURL: "https://www.googleapis.com/oauth2/v3/certs",
		},
		LinkedIn: oauth("https://www.linkedin.com/oauth/v2/authorization", "https://www.linkedin.com/oauth/v2/accessToken",
			"https://api.linkedin.com/v2/userinfo", "openid", "profile", "email"),
		Spotify: oauth("https://accounts.spotify.com/authorize", "https://accounts.spotify.com/api/token",
			"https://api.spotify.com/v1/me", "user-read-email", "user-read-private"),
		Strava: oauth("https://www.strava.com/api/v3/oauth/authorize", "https://www.strava.com/api/v3/oauth/token",
			"https://www.strava.com/api/v3/athlete", "profile:read_all"),
		Twitch: oauth("https://id.twitch.tv/oauth2/authorize", "https://id.twitch.tv/oauth2/token",
			"https://api.twitch.tv/helix/users", "user:read:email"),
		Twitter: Twitter{
			RequestTokenURL:  "https://api.twitter.com/oauth/request_token",
			AuthorizationURL: "https://api.twitter.com/oauth/authorize",
			AccessTokenURL:   "https://api.twitter.com/oauth/access_token",
			UserProfileURL:   "https://api.twitter.com/1.1/account/verify_credentials.json",
		},
		WindowsLive: oauth("https://login.live.com/oauth20_authorize.srf", "https://login.live.com/oauth20_token.srf",
			"https://apis.live.net/v5.0/me", "wl.basic", "wl.emails"),
		WorkOS: WorkOS{
			AuthorizationURL: "https://api.workos.com/sso/authorize",
			TokenURL:         "https://api.workos.com/sso/token",
			UserProfileURL:   "https://api.workos.com/sso/profile",
		},
		OIDC: OIDC{
			Scope:   []string{"openid", "email", "profile"},
			ClaimID: "sub", ClaimEmail: "email", ClaimEmailVerified: "email_verified",
			ClaimName: "name", ClaimPicture: "picture", ClaimLocale: "locale",
		},
	}
}

// microsoftURL is a tenant's endpoint under login.microsoftonline.com.
func microsoftURL(tenant, path string) string {
	return "https://login.microsoftonline.com/" + tenant + path
}

// Variable is one environment variable of Config.
type Variable struct {
	// Name is the variable, e.g. AUTH_PROVIDER_GITHUB_CLIENT_ID.
	Name string
	// Provider is the provider's name for people ("GitHub").
	Provider string
	// Field points into the Config Variables was called on: a *bool, a
	// *string or a *[]string.
	Field any
	// Secret values must never be logged or echoed.
	Secret bool
	// Default is the value in Defaults(), as text (lists comma-joined).
	Default string
	// Doc says what the variable does, in a sentence or two.
	Doc string
	// Ours: hasura-auth has no such variable.
	Ours bool
}

// Variables lists every variable of c in declaration order, with pointers
// to its fields, so that a configuration loader can fill c mechanically.
func (c *Config) Variables() []Variable {
	var vars []Variable
	collect(reflect.ValueOf(c).Elem(), "", "", &vars)
	defaults := Defaults()
	var defs []Variable
	collect(reflect.ValueOf(&defaults).Elem(), "", "", &defs)
	for i := range vars {
		vars[i].Default = text(defs[i].Field)
		vars[i].Doc = variableDoc(vars[i])
		vars[i].Ours = !hasuraAuthVariables[vars[i].Name]
	}
	return vars
}

// variableNames maps each field pointer of c to its variable's name, for
// error messages.
func (c *Config) variableNames() map[any]string {
	names := map[any]string{}
	for _, v := range c.Variables() {
		names[v.Field] = v.Name
	}
	return names
}

func collect(v reflect.Value, prefix, title string, out *[]Variable) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		fv := v.Field(i)
		tag := f.Tag.Get("env")
		if f.Type.Kind() == reflect.Struct {
			sub := title
			if s := f.Tag.Get("title"); s != "" {
				sub = s
			}
			collect(fv, prefix+tag, sub, out)
			continue
		}
		if tag == "" {
			continue
		}
		*out = append(*out, Variable{
			Name:     prefix + tag,
			Provider: title,
			Field:    fv.Addr().Interface(),
			Secret:   f.Tag.Get("secret") == "true",
		})
	}
}

func text(field any) string {
	switch v := field.(type) {
	case *bool:
		return strconv.FormatBool(*v)
	case *string:
		return *v
	case *[]string:
		return strings.Join(*v, ",")
	}
	return ""
}

// Fields maps each variable's name to its field in c (a *bool, *string or
// *[]string): Variables without the defaults and documentation, for
// filling c cheaply.
func (c *Config) Fields() map[string]any {
	var vars []Variable
	collect(reflect.ValueOf(c).Elem(), "", "", &vars)
	m := make(map[string]any, len(vars))
	for _, v := range vars {
		m[v.Name] = v.Field
	}
	return m
}
