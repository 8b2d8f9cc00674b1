package providers

import (
	"context"
	"net/http"

	"golang.org/x/oauth2"
)

// GitHub and Bitbucket give the account's addresses, each with a verified
// flag, at a second endpoint; the profile's own email field may be empty or
// unverified.

// emailCandidate is one address of an account.
type emailCandidate struct {
	Email    string
	Primary  bool
	Verified bool
}

// pickEmail prefers the primary address when verified, then any verified
// one, then the primary one (unverified), then the first.
func pickEmail(list []emailCandidate) (string, bool) {
	best := -1
	rank := func(c emailCandidate) int {
		switch {
		case c.Email == "":
			return 0
		case c.Primary && c.Verified:
			return 4
		case c.Verified:
			return 3
		case c.Primary:
			return 2
		}
		return 1
	}
	for i, c := range list {
		if best < 0 || rank(c) > rank(list[best]) {
			best = i
		}
	}
	if best < 0 || list[best].Email == "" {
		return "", false
	}
	return list[best].Email, list[best].Verified
}

func emailsURL(c OAuth2Emails) string {
	if c.UserEmailsURL != "" {
		return c.UserEmailsURL
	}
	return c.UserProfileURL + "/emails"
}

// header builds request headers from name/value pairs.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// withEmails reads the profile document and the address list, then maps
// both.
func withEmails[U, E any](a api, profileURL, emailsURL string, h http.Header, mapping func(U, E) Profile) profileFunc {
	return func(ctx context.Context, tok *oauth2.Token, _ Callback, _ Pending) (Profile, error) {
		var user U
		if err := a.get(ctx, profileURL, tok.AccessToken, h, &user); err != nil {
			return Profile{}, err
		}
		var emails E
		if err := a.get(ctx, emailsURL, tok.AccessToken, h, &emails); err != nil {
			return Profile{}, err
		}
		return mapping(user, emails), nil
	}
}
