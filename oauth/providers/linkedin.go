package providers

import (
	"context"
	"encoding/json"

	"golang.org/x/oauth2"
)

// LinkedIn: Sign In with LinkedIn using OpenID Connect,
// https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
// (GET /v2/userinfo: sub, name, given_name, family_name, picture, locale as
// {"country", "language"}, email, email_verified). LinkedIn offers PKCE to
// native clients only, so none is sent.
func newLinkedIn(c OAuth2, d deps) Provider {
	p := newOAuth2("linkedin", c, oauth2.AuthStyleInParams, d)
	p.profile = func(ctx context.Context, tok *oauth2.Token, _ Callback, _ Pending) (Profile, error) {
		var raw json.RawMessage
		if err := p.api.get(ctx, c.UserProfileURL, tok.AccessToken, nil, &raw); err != nil {
			return Profile{}, err
		}
		claims, err := decodeClaims(raw)
		if err != nil {
			return Profile{}, newError(p.name, StageProfile, ErrBadResponse, err)
		}
		profile := claims.profile(standardClaims)
		if profile.DisplayName == "" {
			profile.DisplayName = joinName(claims.str("given_name"), claims.str("family_name"))
		}
		return profile, nil
	}
	return p
}
