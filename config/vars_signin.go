package config

import (
	"time"

	"github.com/hasura-auth-go/auth/oauth/providers"
)

// providerVars declares the provider variables from providers.Config, their
// one declaration: names, defaults, documentation and fields come from
// its Variables.
func providerVars() []Var {
	var zero providers.Config
	var out []Var
	for _, pv := range zero.Variables() {
		var b binder
		switch pv.Field.(type) {
		case *bool:
			b = toBool(func(c *Config) *bool { return c.Providers.Fields()[pv.Name].(*bool) })
		case *[]string:
			b = toList(func(c *Config) *[]string { return c.Providers.Fields()[pv.Name].(*[]string) })
		default:
			b = toText(func(c *Config) *string { return c.Providers.Fields()[pv.Name].(*string) })
		}
		x := v(pv.Name, pv.Default, b, pv.Doc)
		x.Secret, x.Ours = pv.Secret, pv.Ours
		out = append(out, x)
	}
	return out
}

func signInSections() []Section {
	oauth := append(providerVars(),
		v("AUTH_PROVIDER_STATE_COOKIE", "true", toBool(func(c *Config) *bool { return &c.ProviderStateCookie }),
			"true: a sign-in with a provider must end in the browser that began it (a cookie set by GET /signin/provider/<name>, "+
				"checked by its callback), which stops login CSRF; false: as hasura-auth, whoever holds the callback URL finishes the sign-in.").ours())
	return []Section{
		{Title: "OAuth and OpenID Connect providers", Intro: "hasura-auth's names and defaults, the endpoints of each provider (for proxies, test servers and enterprise installs), and a generic OpenID Connect provider (AUTH_PROVIDER_OIDC_*); docs/social-sign-in.md explains them.", Vars: oauth},
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
