package providers

import (
	"encoding/json"

	"golang.org/x/oauth2"
)

// GitHub: https://docs.github.com/en/rest/users/users#get-the-authenticated-user
// and https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user.
// PKCE (S256) is supported since July 2025.
func newGitHub(c OAuth2Emails, d deps) Provider {
	p := newOAuth2("github", c.OAuth2, oauth2.AuthStyleInParams, d)
	p.pkce = true
	h := header("Accept", "application/vnd.github+json", "X-GitHub-Api-Version", "2022-11-28")
	p.profile = withEmails(p.api, c.UserProfileURL, emailsURL(c), h, githubProfile)
	return p
}

type githubUser struct {
	ID        json.Number `json:"id"`
	Login     string      `json:"login"`
	Name      string      `json:"name"`
	AvatarURL string      `json:"avatar_url"`
}

type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

func githubProfile(u githubUser, emails []githubEmail) Profile {
	list := make([]emailCandidate, len(emails))
	for i, e := range emails {
		list[i] = emailCandidate(e)
	}
	email, verified := pickEmail(list)
	name := u.Name
	if name == "" {
		name = u.Login
	}
	return Profile{ProviderUserID: u.ID.String(), Email: email, EmailVerified: verified,
		DisplayName: name, AvatarURL: u.AvatarURL}
}
