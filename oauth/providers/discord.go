package providers

import "golang.org/x/oauth2"

// Discord: https://discord.com/developers/docs/resources/user#user-object
// (verified says whether the email is verified). Discord's authorization
// server metadata lists S256 among code_challenge_methods_supported.
func newDiscord(c OAuth2, d deps) Provider {
	p := newOAuth2("discord", c, oauth2.AuthStyleInParams, d)
	p.pkce = true
	p.profile = simpleProfile(p.api, c.UserProfileURL, nil, discordProfile)
	return p
}

type discordUser struct {
	ID            string `json:"id"`
	Username      string `json:"username"`
	Discriminator string `json:"discriminator"`
	GlobalName    string `json:"global_name"`
	Avatar        string `json:"avatar"`
	Email         string `json:"email"`
	Verified      bool   `json:"verified"`
	Locale        string `json:"locale"`
}

func discordProfile(u discordUser) Profile {
	name := u.GlobalName
	if name == "" {
		name = u.Username
		// Accounts moved to unique usernames have discriminator "0".
		if u.Discriminator != "" && u.Discriminator != "0" {
			name += "#" + u.Discriminator
		}
	}
	var avatar string
	if u.Avatar != "" && u.ID != "" {
		avatar = "https://cdn.discordapp.com/avatars/" + u.ID + "/" + u.Avatar + ".png"
	}
	return Profile{ProviderUserID: u.ID, Email: u.Email, EmailVerified: u.Email != "" && u.Verified,
		DisplayName: name, AvatarURL: avatar, Locale: normaliseLocale(u.Locale)}
}
