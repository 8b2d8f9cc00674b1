package providers

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// fillDefaults gives every empty setting its default: empty strings and
// lists (a list of blanks counts as empty, as hasura-auth cleans SCOPE).
func (c *Config) fillDefaults() {
	defaults := Defaults()
	defs := defaults.Variables()
	for i, v := range c.Variables() {
		switch f := v.Field.(type) {
		case *string:
			if strings.TrimSpace(*f) == "" {
				*f = *defs[i].Field.(*string)
			}
		case *[]string:
			var kept []string
			for _, s := range *f {
				if s = strings.TrimSpace(s); s != "" {
					kept = append(kept, s)
				}
			}
			if len(kept) == 0 {
				kept = append([]string(nil), *defs[i].Field.(*[]string)...)
			}
			*f = kept
		}
	}
	c.AzureAD.derive("/oauth2/authorize", "/oauth2/token", "/openid/userinfo")
	c.EntraID.derive("/oauth2/v2.0/authorize", "/oauth2/v2.0/token", "")
}

// derive fills the endpoints left empty from the tenant.
func (m *Microsoft) derive(auth, token, profile string) {
	for _, f := range []struct {
		field *string
		path  string
	}{{&m.AuthorizationURL, auth}, {&m.TokenURL, token}, {&m.UserProfileURL, profile}} {
		if *f.field == "" && f.path != "" {
			*f.field = microsoftURL(m.Tenant, f.path)
		}
	}
}

// enabled lists the enabled providers' ENABLED variables.
func (c *Config) enabled() []string {
	var on []string
	for _, v := range c.Variables() {
		if b, ok := v.Field.(*bool); ok && *b {
			on = append(on, v.Name)
		}
	}
	return on
}

// Validate checks the enabled providers' settings (and the ID-token
// audiences) as New will use them, empty settings taking their defaults;
// each error names its variable. It changes nothing.
func (c Config) Validate() error {
	c.fillDefaults()
	return c.validate()
}

func (c *Config) validate() error {
	v := validator{names: c.variableNames()}
	v.oauth2(&c.AzureAD.OAuth2)
	v.tenant(&c.AzureAD)
	v.oauth2(&c.Bitbucket.OAuth2)
	v.optionalURL(&c.Bitbucket.UserEmailsURL)
	v.oauth2(&c.Discord)
	v.oauth2(&c.EntraID.OAuth2)
	v.tenant(&c.EntraID)
	v.oauth2(&c.Facebook)
	v.oauth2(&c.GitHub.OAuth2)
	v.optionalURL(&c.GitHub.UserEmailsURL)
	v.oauth2(&c.GitLab)
	v.oauth2(&c.Google.OAuth2)
	if c.Google.Enabled || len(c.Google.Audience) > 0 {
		v.url(&c.Google.JWKSURL)
	}
	v.oauth2(&c.LinkedIn)
	v.oauth2(&c.Spotify)
	v.oauth2(&c.Strava)
	v.oauth2(&c.Twitch)
	v.oauth2(&c.WindowsLive)
	if a := &c.Apple; a.Enabled {
		v.required(&a.Enabled, &a.ClientID, &a.TeamID, &a.KeyID, &a.PrivateKey)
		v.url(&a.AuthorizationURL, &a.TokenURL, &a.JWKSURL)
	} else if len(a.Audience) > 0 {
		v.url(&a.JWKSURL)
	}
	if t := &c.Twitter; t.Enabled {
		v.required(&t.Enabled, &t.ConsumerKey, &t.ConsumerSecret)
		v.url(&t.RequestTokenURL, &t.AuthorizationURL, &t.AccessTokenURL, &t.UserProfileURL)
	}
	if w := &c.WorkOS; w.Enabled {
		v.required(&w.Enabled, &w.ClientID, &w.ClientSecret)
		v.url(&w.AuthorizationURL, &w.TokenURL, &w.UserProfileURL)
	}
	if o := &c.OIDC; o.Enabled {
		// A public client (PKCE, no secret) is allowed: no secret required.
		v.required(&o.Enabled, &o.Issuer, &o.ClientID, &o.ClaimID, &o.ClaimEmail, &o.ClaimEmailVerified,
			&o.ClaimName, &o.ClaimPicture, &o.ClaimLocale)
		v.url(&o.Issuer)
	}
	return errors.Join(v.errs...)
}

type validator struct {
	names map[any]string
	errs  []error
}

func (v *validator) fail(field any, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s "+format, append([]any{v.names[field]}, args...)...))
}

// oauth2 checks an enabled OAuth 2.0 provider's common settings.
func (v *validator) oauth2(o *OAuth2) {
	if !o.Enabled {
		return
	}
	v.required(&o.Enabled, &o.ClientID, &o.ClientSecret)
	v.url(&o.AuthorizationURL, &o.TokenURL, &o.UserProfileURL)
}

// tenant checks a Microsoft tenant, which becomes a path segment.
func (v *validator) tenant(m *Microsoft) {
	if m.Enabled && (m.Tenant == "" || strings.ContainsAny(m.Tenant, "/?#% ")) {
		v.fail(&m.Tenant, "must be a tenant id or name such as common, organizations or contoso.onmicrosoft.com")
	}
}

// required reports each empty string field, naming the ENABLED variable
// that makes it so.
func (v *validator) required(enabled *bool, fields ...*string) {
	for _, f := range fields {
		if strings.TrimSpace(*f) == "" {
			v.fail(f, "is required when %s is true", v.names[enabled])
		}
	}
}

// url checks that each field is an absolute http(s) URL.
func (v *validator) url(fields ...*string) {
	for _, f := range fields {
		u, err := url.Parse(*f)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.fail(f, "must be an absolute http(s) URL")
		}
	}
}

func (v *validator) optionalURL(fields ...*string) {
	for _, f := range fields {
		if *f != "" {
			v.url(f)
		}
	}
}
