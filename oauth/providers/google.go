package providers

import (
	"context"
	"slices"

	"golang.org/x/oauth2"
)

// Google: https://developers.google.com/identity/openid-connect/openid-connect
// With the openid scope (the default) the profile comes from the ID token
// of the code exchange, checked against Google's keys and the nonce sent;
// without it, from the userinfo endpoint (id, email, verified_email, name,
// picture, locale). Google supports PKCE.
func newGoogle(c Google, check *idTokenCheck, d deps) Provider {
	p := newOAuth2("google", c.OAuth2, oauth2.AuthStyleInParams, d)
	p.pkce = true
	p.nonce = slices.Contains(c.Scope, "openid")
	userinfo := simpleProfile(p.api, c.UserProfileURL, nil, googleUserinfoProfile)
	p.profile = func(ctx context.Context, tok *oauth2.Token, cb Callback, pending Pending) (Profile, error) {
		if !p.nonce {
			return userinfo(ctx, tok, cb, pending)
		}
		claims, err := check.fromTokenResponse(ctx, tok, pending.Nonce)
		if err != nil {
			return Profile{}, err
		}
		return claims.profile(standardClaims), nil
	}
	return p
}

type googleUserinfo struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	VerifiedEmail bool   `json:"verified_email"`
	Name          string `json:"name"`
	Picture       string `json:"picture"`
	Locale        string `json:"locale"`
}

func googleUserinfoProfile(u googleUserinfo) Profile {
	return Profile{ProviderUserID: u.ID, Email: u.Email, EmailVerified: u.Email != "" && u.VerifiedEmail,
		DisplayName: u.Name, AvatarURL: u.Picture, Locale: normaliseLocale(u.Locale)}
}
