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
	// SMS and WebAuthn: hasura-auth has them and this release does not serve
	// them yet. Their variables are declared with hasura-auth's names and
	// defaults and parsed into Config, so the release that brings a method
	// only adds its behaviour (and drops .pending from its rows). Until then
	// enabling one stops the start.
	sms := "sign-in by SMS"
	webauthn := "WebAuthn (security keys and passkeys)"
	return []Section{
		{Title: "OAuth and OpenID Connect providers", Intro: "hasura-auth's names and defaults, the endpoints of each provider (for proxies, test servers and enterprise installs), and a generic OpenID Connect provider (AUTH_PROVIDER_OIDC_*); docs/social-sign-in.md explains them.", Vars: oauth},
		{Title: "SMS (not available yet)", Intro: "AUTH_SMS_PASSWORDLESS_ENABLED=true stops the start until this server sends SMS.", Vars: []Var{
			v("AUTH_SMS_PASSWORDLESS_ENABLED", "false", toBool(func(c *Config) *bool { return &c.SMS.PasswordlessEnabled }),
				"true: users may sign in with a code sent by SMS.").pending(sms).gate(),
			v("AUTH_SMS_PROVIDER", "twilio", toOneOf([]string{"twilio", "modica"}, func(c *Config) *string { return &c.SMS.Provider }),
				"twilio or modica.").pending(sms),
			v("AUTH_SMS_TWILIO_ACCOUNT_SID", "", toText(func(c *Config) *string { return &c.SMS.TwilioAccountSID }), "Twilio account SID.").pending(sms),
			v("AUTH_SMS_TWILIO_AUTH_TOKEN", "", toText(func(c *Config) *string { return &c.SMS.TwilioAuthToken }), "Twilio auth token.").pending(sms).secret(),
			v("AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID", "", toText(func(c *Config) *string { return &c.SMS.TwilioMessagingServiceID }), "Twilio messaging service id (or a sender number).").pending(sms),
			v("AUTH_SMS_MODICA_USERNAME", "", toText(func(c *Config) *string { return &c.SMS.ModicaUsername }), "Modica user name.").pending(sms),
			v("AUTH_SMS_MODICA_PASSWORD", "", toText(func(c *Config) *string { return &c.SMS.ModicaPassword }), "Modica password.").pending(sms).secret(),
		}},
		{Title: "WebAuthn (not available yet)", Intro: "AUTH_WEBAUTHN_ENABLED=true stops the start until this server serves WebAuthn.", Vars: []Var{
			v("AUTH_WEBAUTHN_ENABLED", "false", toBool(func(c *Config) *bool { return &c.WebAuthn.Enabled }),
				"true: users may sign up, sign in and elevate with security keys.").pending(webauthn).gate(),
			v("AUTH_WEBAUTHN_RP_NAME", "", toText(func(c *Config) *string { return &c.WebAuthn.RPName }),
				"Relying party name shown by authenticators; default the relying party id.").pending(webauthn),
			v("AUTH_WEBAUTHN_RP_ID", "", toText(func(c *Config) *string { return &c.WebAuthn.RPID }),
				"Relying party id; default AUTH_CLIENT_URL's host.").pending(webauthn),
			v("AUTH_WEBAUTHN_RP_ORIGINS", "", toList(func(c *Config) *[]string { return &c.WebAuthn.RPOrigins }),
				"Comma-separated origins allowed to register and sign in; AUTH_CLIENT_URL is always one.").pending(webauthn),
			v("AUTH_WEBAUTHN_ATTESTATION_TIMEOUT", "60000", toMilliseconds(func(c *Config) *time.Duration { return &c.WebAuthn.AttestationTimeout }),
				"Time a client has to answer a challenge, milliseconds.").pending(webauthn),
		}},
	}
}
