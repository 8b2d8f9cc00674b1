package providers

import "golang.org/x/oauth2"

// Spotify: https://developer.spotify.com/documentation/web-api/reference/get-current-users-profile
// says of email: "This email address is unverified; there is no proof that
// it actually belongs to the user." It is never marked verified. Spotify
// documents the authorization code flow with PKCE.
func newSpotify(c OAuth2, d deps) Provider {
	p := newOAuth2("spotify", c, oauth2.AuthStyleInHeader, d)
	p.pkce = true
	p.profile = simpleProfile(p.api, c.UserProfileURL, nil, spotifyProfile)
	return p
}

type spotifyUser struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	Images      []struct {
		URL string `json:"url"`
	} `json:"images"`
}

func spotifyProfile(u spotifyUser) Profile {
	var avatar string
	if len(u.Images) > 0 {
		avatar = u.Images[0].URL
	}
	return Profile{ProviderUserID: u.ID, Email: u.Email, DisplayName: u.DisplayName, AvatarURL: avatar}
}
