package providers

import (
	"encoding/json"

	"golang.org/x/oauth2"
)

// Strava: https://developers.strava.com/docs/reference/#api-Athletes-getLoggedInAthlete
// An athlete has no email address.
func newStrava(c OAuth2, d deps) Provider {
	p := newOAuth2("strava", c, oauth2.AuthStyleInParams, d)
	// Strava asks again for consent each time, as hasura-auth requests.
	p.authParams = []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("approval_prompt", "force")}
	p.profile = simpleProfile(p.api, c.UserProfileURL, nil, stravaProfile)
	return p
}

type stravaAthlete struct {
	ID            json.Number `json:"id"`
	Username      string      `json:"username"`
	Firstname     string      `json:"firstname"`
	Lastname      string      `json:"lastname"`
	ProfileMedium string      `json:"profile_medium"`
}

func stravaProfile(a stravaAthlete) Profile {
	name := joinName(a.Firstname, a.Lastname)
	if name == "" {
		name = a.Username
	}
	return Profile{ProviderUserID: a.ID.String(), DisplayName: name, AvatarURL: a.ProfileMedium}
}
