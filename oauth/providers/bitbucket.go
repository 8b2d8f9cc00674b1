package providers

import "golang.org/x/oauth2"

// Bitbucket: https://developer.atlassian.com/cloud/bitbucket/rest/api-group-users/
// (GET /user has no address; GET /user/emails lists them with is_confirmed).
// Its OAuth documentation does not mention PKCE.
func newBitbucket(c OAuth2Emails, d deps) Provider {
	p := newOAuth2("bitbucket", c.OAuth2, oauth2.AuthStyleInHeader, d)
	p.profile = withEmails(p.api, c.UserProfileURL, emailsURL(c), nil, bitbucketProfile)
	return p
}

type bitbucketUser struct {
	UUID        string `json:"uuid"`
	DisplayName string `json:"display_name"`
	Links       struct {
		Avatar struct {
			Href string `json:"href"`
		} `json:"avatar"`
	} `json:"links"`
}

type bitbucketEmails struct {
	Values []struct {
		Email       string `json:"email"`
		IsPrimary   bool   `json:"is_primary"`
		IsConfirmed bool   `json:"is_confirmed"`
	} `json:"values"`
}

func bitbucketProfile(u bitbucketUser, emails bitbucketEmails) Profile {
	list := make([]emailCandidate, len(emails.Values))
	for i, e := range emails.Values {
		list[i] = emailCandidate{Email: e.Email, Primary: e.IsPrimary, Verified: e.IsConfirmed}
	}
	email, verified := pickEmail(list)
	return Profile{ProviderUserID: u.UUID, Email: email, EmailVerified: verified,
		DisplayName: u.DisplayName, AvatarURL: u.Links.Avatar.Href}
}
