package providers

import "golang.org/x/oauth2"

// Facebook: https://developers.facebook.com/docs/graph-api/reference/user/
// The email field is "the primary email address listed on their profile";
// Facebook does not say it is verified, so it is not marked so.
func newFacebook(c OAuth2, d deps) Provider {
	p := newOAuth2("facebook", c, oauth2.AuthStyleInParams, d)
	p.profile = simpleProfile(p.api, c.UserProfileURL, nil, facebookProfile)
	return p
}

type facebookUser struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Picture struct {
		Data struct {
			URL string `json:"url"`
		} `json:"data"`
	} `json:"picture"`
}

func facebookProfile(u facebookUser) Profile {
	return Profile{ProviderUserID: u.ID, Email: u.Email, DisplayName: u.Name, AvatarURL: u.Picture.Data.URL}
}
