package providers

import (
	"encoding/json"

	"golang.org/x/oauth2"
)

// GitLab: https://docs.gitlab.com/api/users/#get-the-current-user
// (email is the primary address; confirmed_at is set once it is confirmed).
// GitLab supports PKCE (S256).
func newGitLab(c OAuth2, d deps) Provider {
	p := newOAuth2("gitlab", c, oauth2.AuthStyleInParams, d)
	p.pkce = true
	p.profile = simpleProfile(p.api, c.UserProfileURL, nil, gitlabProfile)
	return p
}

type gitlabUser struct {
	ID          json.Number `json:"id"`
	Username    string      `json:"username"`
	Name        string      `json:"name"`
	Email       string      `json:"email"`
	ConfirmedAt *string     `json:"confirmed_at"`
	AvatarURL   string      `json:"avatar_url"`
}

func gitlabProfile(u gitlabUser) Profile {
	name := u.Name
	if name == "" {
		name = u.Username
	}
	return Profile{ProviderUserID: u.ID.String(), Email: u.Email,
		EmailVerified: u.Email != "" && u.ConfirmedAt != nil && *u.ConfirmedAt != "",
		DisplayName:   name, AvatarURL: u.AvatarURL}
}
