package providers

import "golang.org/x/oauth2"

// Microsoft's email claim is not verified: a tenant administrator can set
// any address on an account. Azure AD, Entra ID and Windows Live profiles are
// therefore never marked verified, whatever address they carry.

// Azure AD (v1 endpoints under the tenant, derived when not overridden):
// https://learn.microsoft.com/en-us/entra/identity-platform/userinfo
// The account id is the object id (oid), as hasura-auth stores it.
func newAzureAD(c Microsoft, d deps) Provider {
	p := newOAuth2("azuread", c.OAuth2, oauth2.AuthStyleInParams, d)
	p.authParams = []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "select_account")}
	p.profile = simpleProfile(p.api, c.UserProfileURL, nil, azureADProfile)
	return p
}

type azureADUser struct {
	OID               string `json:"oid"`
	Email             string `json:"email"`
	PreferredUsername string `json:"preferred_username"`
	UPN               string `json:"upn"`
	Name              string `json:"name"`
}

func azureADProfile(u azureADUser) Profile {
	email := u.Email
	for _, alt := range []string{u.PreferredUsername, u.UPN} {
		if email == "" {
			email = alt
		}
	}
	return Profile{ProviderUserID: u.OID, Email: email, DisplayName: u.Name}
}

// Entra ID (v2 endpoints): https://learn.microsoft.com/en-us/entra/identity-platform/userinfo
// (sub, name, given_name, family_name, email). PKCE is supported.
func newEntraID(c Microsoft, d deps) Provider {
	p := newOAuth2("entraid", c.OAuth2, oauth2.AuthStyleInParams, d)
	p.pkce = true
	p.profile = simpleProfile(p.api, c.UserProfileURL, nil, entraIDProfile)
	return p
}

type entraIDUser struct {
	Sub        string `json:"sub"`
	Name       string `json:"name"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	Email      string `json:"email"`
}

func entraIDProfile(u entraIDUser) Profile {
	name := u.Name
	if name == "" {
		name = joinName(u.GivenName, u.FamilyName)
	}
	return Profile{ProviderUserID: u.Sub, Email: u.Email, DisplayName: name}
}

// Windows Live (Live Connect REST API, GET /v5.0/me): id, name,
// first_name, last_name, locale and emails {preferred, account, …}.
func newWindowsLive(c OAuth2, d deps) Provider {
	p := newOAuth2("windowslive", c, oauth2.AuthStyleInParams, d)
	p.profile = simpleProfile(p.api, c.UserProfileURL, nil, windowsLiveProfile)
	return p
}

type windowsLiveUser struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Locale    string `json:"locale"`
	Emails    struct {
		Preferred string `json:"preferred"`
		Account   string `json:"account"`
	} `json:"emails"`
}

func windowsLiveProfile(u windowsLiveUser) Profile {
	email := u.Emails.Preferred
	if email == "" {
		email = u.Emails.Account
	}
	name := u.Name
	if name == "" {
		name = joinName(u.FirstName, u.LastName)
	}
	return Profile{ProviderUserID: u.ID, Email: email, DisplayName: name, Locale: normaliseLocale(u.Locale)}
}
