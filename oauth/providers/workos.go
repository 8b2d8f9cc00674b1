package providers

import "golang.org/x/oauth2"

// WorkOS SSO: https://workos.com/docs/reference/sso/profile (GET
// /sso/profile). WorkOS rejects a sign-in whose email domain is not one of
// the organization's verified domains (https://workos.com/docs/sso/domains),
// so a profile's email is taken as verified, as hasura-auth does.
func newWorkOS(c WorkOS, d deps) Provider {
	p := newOAuth2("workos", OAuth2{
		ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		AuthorizationURL: c.AuthorizationURL, TokenURL: c.TokenURL, UserProfileURL: c.UserProfileURL,
	}, oauth2.AuthStyleInParams, d)
	for param, value := range map[string]string{
		"organization": c.DefaultOrganization,
		"connection":   c.DefaultConnection,
		"domain":       c.DefaultDomain,
	} {
		if value != "" {
			p.authParams = append(p.authParams, oauth2.SetAuthURLParam(param, value))
		}
	}
	// A sign-in may name its own connection or organization
	// (providerSpecificParams), in place of the defaults above.
	p.specific = func(s Specific) []oauth2.AuthCodeOption {
		var opts []oauth2.AuthCodeOption
		if s.Organization != "" {
			opts = append(opts, oauth2.SetAuthURLParam("organization", s.Organization))
		}
		if s.Connection != "" {
			opts = append(opts, oauth2.SetAuthURLParam("connection", s.Connection))
		}
		return opts
	}
	p.profile = simpleProfile(p.api, c.UserProfileURL, nil, workosProfile)
	return p
}

type workosProfileDoc struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

func workosProfile(w workosProfileDoc) Profile {
	return Profile{ProviderUserID: w.ID, Email: w.Email, EmailVerified: w.Email != "",
		DisplayName: joinName(w.FirstName, w.LastName)}
}
