package providers

import "golang.org/x/oauth2"

// Twitch: https://dev.twitch.tv/docs/api/reference/#get-users
// ("email: The user's verified email address", present with the
// user:read:email scope). The Helix API wants the Client-Id header too.
func newTwitch(c OAuth2, d deps) Provider {
	p := newOAuth2("twitch", c, oauth2.AuthStyleInParams, d)
	p.profile = simpleProfile(p.api, c.UserProfileURL, header("Client-Id", c.ClientID), twitchProfile)
	return p
}

type twitchUsers struct {
	Data []struct {
		ID              string `json:"id"`
		Login           string `json:"login"`
		DisplayName     string `json:"display_name"`
		Email           string `json:"email"`
		ProfileImageURL string `json:"profile_image_url"`
	} `json:"data"`
}

// twitchProfile maps the first user; no user gives an empty id, which
// Complete reports as an unusable answer.
func twitchProfile(us twitchUsers) Profile {
	if len(us.Data) == 0 {
		return Profile{}
	}
	u := us.Data[0]
	name := u.DisplayName
	if name == "" {
		name = u.Login
	}
	return Profile{ProviderUserID: u.ID, Email: u.Email, EmailVerified: u.Email != "",
		DisplayName: name, AvatarURL: u.ProfileImageURL}
}
