package providers

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/dghubble/oauth1"
)

// Twitter (X) signs in with OAuth 1.0a:
// https://developer.x.com/en/docs/authentication/oauth-1-0a/obtaining-user-access-tokens
// and reads the account from GET account/verify_credentials with
// include_email=true, whose email is present only when verified
// (https://developer.x.com/en/docs/x-api/v1/accounts-and-users/manage-account-settings/api-reference/get-account-verify_credentials).
//
// The request token's secret is needed to sign the access-token request, so
// AuthRequest returns it in Pending; the flow keeps it with its request.
type twitter struct {
	conf       oauth1.Config
	redirect   string
	profileURL string
	client     *http.Client
}

const twitterName = "twitter"

func newTwitter(c Twitter, d deps) Provider {
	return &twitter{
		conf: oauth1.Config{
			ConsumerKey:    c.ConsumerKey,
			ConsumerSecret: c.ConsumerSecret,
			Endpoint: oauth1.Endpoint{
				RequestTokenURL: c.RequestTokenURL,
				AuthorizeURL:    c.AuthorizationURL,
				AccessTokenURL:  c.AccessTokenURL,
			},
			// Set here: the library fills a nil Noncer in on use, which
			// would be a data race between concurrent sign-ins.
			Noncer: oauth1.Base64Noncer{},
			// The library's token requests take no context; this client
			// bounds them and reports 5xx answers as unavailability.
			HTTPClient: &http.Client{Timeout: d.client.Timeout, Transport: serverErrors{next: d.client.Transport}},
		},
		redirect:   d.redirectURL(twitterName),
		profileURL: c.UserProfileURL,
		client:     d.client,
	}
}

func (t *twitter) Name() string { return twitterName }

// AuthRequest obtains a request token whose callback carries state, so the
// callback finds the flow's request like every other provider's.
func (t *twitter) AuthRequest(_ context.Context, state string, _ ...Specific) (AuthRequest, error) {
	conf := t.conf
	conf.CallbackURL = t.redirect + "?" + url.Values{"state": {state}}.Encode()
	token, secret, err := conf.RequestToken()
	if err != nil {
		return AuthRequest{}, oauth1Error(StageAuthorize, err)
	}
	u, err := conf.AuthorizationURL(token)
	if err != nil {
		return AuthRequest{}, newError(twitterName, StageAuthorize, ErrBadResponse, err)
	}
	return AuthRequest{URL: u.String(), Pending: Pending{RequestToken: token, RequestTokenSecret: secret}}, nil
}

func (t *twitter) Complete(ctx context.Context, cb Callback, pending Pending) (Identity, error) {
	if err := callbackError(twitterName, cb); err != nil {
		return Identity{}, err
	}
	bad := func(msg string) (Identity, error) {
		return Identity{}, newError(twitterName, StageCallback, ErrBadCallback, errors.New(msg))
	}
	switch {
	case cb.OAuthToken == "" || cb.OAuthVerifier == "":
		return bad("the callback has no oauth_token or oauth_verifier")
	case pending.RequestToken == "" || pending.RequestTokenSecret == "":
		return bad("the pending request has no request token")
	case subtle.ConstantTimeCompare([]byte(cb.OAuthToken), []byte(pending.RequestToken)) != 1:
		return bad("the callback's oauth_token is not the request's")
	}
	access, secret, err := t.conf.AccessToken(pending.RequestToken, pending.RequestTokenSecret, cb.OAuthVerifier)
	if err != nil {
		return Identity{}, oauth1Error(StageExchange, err)
	}
	profile, err := t.profile(ctx, access, secret)
	if err != nil {
		return Identity{}, err
	}
	if profile.ProviderUserID == "" {
		return Identity{}, newError(twitterName, StageProfile, ErrBadResponse, errors.New("the profile has no account id"))
	}
	return Identity{Profile: profile, Token: Token{AccessToken: access, TokenSecret: secret}}, nil
}

type twitterUser struct {
	IDStr                string `json:"id_str"`
	Name                 string `json:"name"`
	ScreenName           string `json:"screen_name"`
	Email                string `json:"email"`
	ProfileImageURLHTTPS string `json:"profile_image_url_https"`
}

func (t *twitter) profile(ctx context.Context, access, secret string) (Profile, error) {
	u, err := url.Parse(t.profileURL)
	if err != nil {
		return Profile{}, newError(twitterName, StageProfile, ErrBadResponse, err)
	}
	q := u.Query()
	q.Set("include_email", "true")
	q.Set("skip_status", "true")
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Profile{}, newError(twitterName, StageProfile, ErrBadResponse, err)
	}
	req.Header.Set("Accept", "application/json")
	signing := t.conf.Client(context.WithValue(ctx, oauth1.HTTPClient, t.client), oauth1.NewToken(access, secret))
	signing.Timeout = t.client.Timeout
	var user twitterUser
	if err := (api{provider: twitterName, client: signing}).do(req, &user); err != nil {
		return Profile{}, err
	}
	name := user.Name
	if name == "" {
		name = user.ScreenName
	}
	return Profile{ProviderUserID: user.IDStr, Email: user.Email, EmailVerified: user.Email != "",
		DisplayName: name, AvatarURL: user.ProfileImageURLHTTPS}, nil
}

// oauth1Error classifies a failed OAuth 1.0a token request: unreachable or
// 5xx (see serverErrors) is unavailability, any other refusal the
// provider's error.
func oauth1Error(stage Stage, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return newError(twitterName, stage, ErrUnavailable, err)
	}
	return newError(twitterName, stage, ErrProvider, err)
}

// errServerStatus: the provider answered with a 5xx.
var errServerStatus = errors.New("server error")

// serverErrors turns 5xx answers into transport errors.
type serverErrors struct{ next http.RoundTripper }

func (s serverErrors) RoundTrip(req *http.Request) (*http.Response, error) {
	next := s.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 500 {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: status %d", errServerStatus, resp.StatusCode)
	}
	return resp, nil
}
