package config

import "time"

// Sign-in methods hasura-auth has and this release does not serve yet: their
// variables are declared with hasura-auth's names and defaults and parsed
// into Config, so the release that brings a method only adds its behaviour
// (and drops .pending from its rows). Until then enabling one stops the start.

// provider is one OAuth provider's variables beyond ENABLED and the client credentials.
type provider struct {
	env, title string
	field      func(c *Config) *ProviderConfig
	scope      string // default AUTH_PROVIDER_<ENV>_SCOPE; "-" = no scope variable
	extra      []Var
}

func providers() []provider {
	apple := func(c *Config) *ProviderConfig { return &c.Providers.Apple }
	google := func(c *Config) *ProviderConfig { return &c.Providers.Google }
	github := func(c *Config) *ProviderConfig { return &c.Providers.GitHub }
	azuread := func(c *Config) *ProviderConfig { return &c.Providers.AzureAD }
	entraid := func(c *Config) *ProviderConfig { return &c.Providers.EntraID }
	workos := func(c *Config) *ProviderConfig { return &c.Providers.WorkOS }
	idToken := "sign-in with ID tokens (/signin/idtoken)"
	return []provider{
		{"APPLE", "Apple", apple, "name,email", []Var{
			v("AUTH_PROVIDER_APPLE_TEAM_ID", "", toText(func(c *Config) *string { return &apple(c).TeamID }), "Apple developer team id."),
			v("AUTH_PROVIDER_APPLE_KEY_ID", "", toText(func(c *Config) *string { return &apple(c).KeyID }), "Id of the Sign in with Apple key."),
			v("AUTH_PROVIDER_APPLE_PRIVATE_KEY", "", toText(func(c *Config) *string { return &apple(c).PrivateKey }), "The key itself (PEM).").secret(),
			v("AUTH_PROVIDER_APPLE_AUDIENCE", "", toText(func(c *Config) *string { return &apple(c).Audience }),
				"Audience accepted in Apple ID tokens given to /signin/idtoken.").pending(idToken).gate(),
		}},
		{"AZUREAD", "Azure AD", azuread, "email,profile,openid,offline_access", []Var{
			v("AUTH_PROVIDER_AZUREAD_TENANT", "common", toText(func(c *Config) *string { return &azuread(c).Tenant }), "Azure AD tenant."),
		}},
		{"BITBUCKET", "Bitbucket", func(c *Config) *ProviderConfig { return &c.Providers.Bitbucket }, "account", nil},
		{"DISCORD", "Discord", func(c *Config) *ProviderConfig { return &c.Providers.Discord }, "identify,email", nil},
		{"ENTRAID", "Microsoft Entra ID", entraid, "email,profile,openid,offline_access", []Var{
			v("AUTH_PROVIDER_ENTRAID_TENANT", "common", toText(func(c *Config) *string { return &entraid(c).Tenant }), "Entra ID tenant."),
		}},
		{"FACEBOOK", "Facebook", func(c *Config) *ProviderConfig { return &c.Providers.Facebook }, "email", nil},
		{"GITHUB", "GitHub", github, "user:email", []Var{
			v("AUTH_PROVIDER_GITHUB_AUTHORIZATION_URL", "https://github.com/login/oauth/authorize", toText(func(c *Config) *string { return &github(c).AuthorizationURL }),
				"GitHub's authorization endpoint (GitHub Enterprise: your server's)."),
			v("AUTH_PROVIDER_GITHUB_TOKEN_URL", "https://github.com/login/oauth/access_token", toText(func(c *Config) *string { return &github(c).TokenURL }),
				"GitHub's token endpoint."),
			v("AUTH_PROVIDER_GITHUB_USER_PROFILE_URL", "https://api.github.com/user", toText(func(c *Config) *string { return &github(c).UserProfileURL }),
				"GitHub's user API."),
		}},
		{"GITLAB", "GitLab", func(c *Config) *ProviderConfig { return &c.Providers.GitLab }, "read_user", nil},
		{"GOOGLE", "Google", google, "openid,email,profile", []Var{
			v("AUTH_PROVIDER_GOOGLE_AUDIENCE", "", toText(func(c *Config) *string { return &google(c).Audience }),
				"Audience accepted in Google ID tokens given to /signin/idtoken.").pending(idToken).gate(),
		}},
		{"LINKEDIN", "LinkedIn", func(c *Config) *ProviderConfig { return &c.Providers.LinkedIn }, "openid,profile,email", nil},
		{"SPOTIFY", "Spotify", func(c *Config) *ProviderConfig { return &c.Providers.Spotify }, "user-read-email,user-read-private", nil},
		{"STRAVA", "Strava", func(c *Config) *ProviderConfig { return &c.Providers.Strava }, "profile:read_all", nil},
		{"TWITCH", "Twitch", func(c *Config) *ProviderConfig { return &c.Providers.Twitch }, "user:read:email", nil},
		{"TWITTER", "Twitter", func(c *Config) *ProviderConfig { return &c.Providers.Twitter }, "-", nil},
		{"WINDOWS_LIVE", "Windows Live", func(c *Config) *ProviderConfig { return &c.Providers.WindowsLive }, "wl.basic,wl.emails", nil},
		{"WORKOS", "WorkOS", workos, "-", []Var{
			v("AUTH_PROVIDER_WORKOS_DEFAULT_ORGANIZATION", "", toText(func(c *Config) *string { return &workos(c).DefaultOrganization }), "WorkOS organization used when the request names none."),
			v("AUTH_PROVIDER_WORKOS_DEFAULT_CONNECTION", "", toText(func(c *Config) *string { return &workos(c).DefaultConnection }), "WorkOS connection used when the request names none."),
			v("AUTH_PROVIDER_WORKOS_DEFAULT_DOMAIN", "", toText(func(c *Config) *string { return &workos(c).DefaultDomain }), "WorkOS domain used when the request names none."),
		}},
	}
}

func providerVars(p provider) []Var {
	what := "sign-in with " + p.title
	id, secret := "CLIENT_ID", "CLIENT_SECRET"
	if p.env == "TWITTER" {
		id, secret = "CONSUMER_KEY", "CONSUMER_SECRET" // OAuth 1.0a
	}
	out := []Var{
		v("AUTH_PROVIDER_"+p.env+"_ENABLED", "false", toBool(func(c *Config) *bool { return &p.field(c).Enabled }),
			"true: users may sign in with "+p.title+".").gate(),
		v("AUTH_PROVIDER_"+p.env+"_"+id, "", toText(func(c *Config) *string { return &p.field(c).ClientID }),
			p.title+" OAuth client id."),
	}
	if p.env != "APPLE" { // Apple's client secret is a JWT signed with the key below
		out = append(out, v("AUTH_PROVIDER_"+p.env+"_"+secret, "", toText(func(c *Config) *string { return &p.field(c).ClientSecret }),
			p.title+" OAuth client secret.").secret())
	}
	if p.scope != "-" {
		out = append(out, v("AUTH_PROVIDER_"+p.env+"_SCOPE", p.scope, toList(func(c *Config) *[]string { return &p.field(c).Scope }),
			"Comma-separated OAuth scopes asked of "+p.title+"."))
	}
	out = append(out, p.extra...)
	for i := range out {
		if out[i].Pending == "" {
			out[i].Pending = what
		}
	}
	return out
}

func signInSections() []Section {
	var oauth []Var
	for _, p := range providers() {
		oauth = append(oauth, providerVars(p)...)
	}
	return []Section{
		{Title: "OAuth providers (not available yet)", Intro: "hasura-auth's names and defaults, read and checked; AUTH_PROVIDER_<NAME>_ENABLED=true (or an ID-token audience) stops the start until this server signs in with that provider.", Vars: oauth},
		smsSection(),
		{Title: "WebAuthn (security keys and passkeys)", Intro: "Sign-up, sign-in, adding keys and elevation with security keys and passkeys (docs/webauthn.md). The RP ID and origins decide where credentials work: set them for your real domain before users register keys.", Vars: []Var{
			v("AUTH_WEBAUTHN_ENABLED", "false", toBool(func(c *Config) *bool { return &c.WebAuthn.Enabled }),
				"true: users may sign up, sign in and elevate with security keys and passkeys."),
			v("AUTH_WEBAUTHN_RP_NAME", "", toText(func(c *Config) *string { return &c.WebAuthn.RPName }),
				"Relying party name shown by authenticators; default the relying party id."),
			v("AUTH_WEBAUTHN_RP_ID", "", toText(func(c *Config) *string { return &c.WebAuthn.RPID }),
				"Relying party id: the domain keys are bound to, the host of every origin below or a parent domain of it (example.com for app.example.com); default AUTH_CLIENT_URL's host. Changing it orphans every key registered under the old one."),
			v("AUTH_WEBAUTHN_RP_ORIGINS", "", toList(func(c *Config) *[]string { return &c.WebAuthn.RPOrigins }),
				"Comma-separated origins (scheme://host[:port]) whose pages may run the ceremonies; AUTH_CLIENT_URL's origin is always one."),
			v("AUTH_WEBAUTHN_ATTESTATION_TIMEOUT", "60000", toMilliseconds(func(c *Config) *time.Duration { return &c.WebAuthn.AttestationTimeout }),
				"Time a client has to answer a challenge, milliseconds (1000 to 3600000)."),
		}},
	}
}
