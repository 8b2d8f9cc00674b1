package providers_test

import (
	"testing"
	"time"

	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/stretchr/testify/require"
)

// oauthSetup says how to point one provider at a fake.
type oauthSetup struct {
	name   string
	enable func(c *providers.Config, f *fake)
	pkce   bool
	// profilePath is the API page the error cases break.
	profilePath string
	// scope is what the authorization URL must ask for by default.
	scope string
}

// common fills an OAuth2 block to use f.
func common(o *providers.OAuth2, f *fake, profilePath string) {
	o.Enabled, o.ClientID, o.ClientSecret = true, "client-1", "secret-1"
	o.AuthorizationURL, o.TokenURL, o.UserProfileURL = f.url("/authorize"), f.url("/token"), f.url(profilePath)
}

// start builds the provider and its authorization URL, checking what every
// authorization URL must hold, and tells the fake the PKCE challenge.
func start(t *testing.T, s oauthSetup, f *fake) (providers.Provider, providers.AuthRequest) {
	t.Helper()
	var cfg providers.Config
	s.enable(&cfg, f)
	p, ok := registry(t, cfg, nil).Provider(s.name)
	require.True(t, ok)
	require.Equal(t, s.name, p.Name())
	ar, err := p.AuthRequest(background(), "state-1")
	require.NoError(t, err)
	q := authParams(t, ar.URL)
	require.Equal(t, "state-1", q.Get("state"))
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "https://auth.example.com/v1/signin/provider/"+s.name+"/callback", q.Get("redirect_uri"))
	if s.scope != "" {
		require.Equal(t, s.scope, q.Get("scope"))
	}
	if s.pkce {
		require.Equal(t, "S256", q.Get("code_challenge_method"))
		require.Equal(t, s256(ar.Pending.CodeVerifier), q.Get("code_challenge"))
		f.expectChallenge(q.Get("code_challenge"))
	} else {
		require.Empty(t, q.Get("code_challenge"))
		require.Empty(t, ar.Pending.CodeVerifier)
	}
	return p, ar
}

// signIn runs a whole sign-in against the fake.
func signIn(t *testing.T, s oauthSetup, f *fake) (providers.Identity, error) {
	t.Helper()
	p, ar := start(t, s, f)
	return p.Complete(background(), providers.Callback{State: "state-1", Code: "code-1"}, ar.Pending)
}

type profileCase struct {
	name  string
	pages map[string]answer
	want  providers.Profile
}

// runProfiles signs in once per case and checks the mapped profile, the
// tokens, and that the API was called with the access token.
func runProfiles(t *testing.T, s oauthSetup, cases []profileCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.setToken(tokenJSON(""))
			for path, a := range tc.pages {
				f.set(path, a)
			}
			id, err := signIn(t, s, f)
			require.NoError(t, err)
			require.Equal(t, tc.want, id.Profile)
			require.Equal(t, "at-1", id.Token.AccessToken)
			require.Equal(t, "rt-1", id.Token.RefreshToken)
			require.WithinDuration(t, time.Now().Add(time.Hour), id.Token.Expiry, time.Minute)
			require.Equal(t, "code-1", f.lastTokenRequest().Get("code"))
			require.Equal(t, "authorization_code", f.lastTokenRequest().Get("grant_type"))
			if s.profilePath != "" {
				require.Equal(t, "Bearer at-1", f.header(s.profilePath).Get("Authorization"))
			}
		})
	}
}

// runErrors checks the failures every OAuth 2.0 provider shares. pages are
// answers that would succeed.
func runErrors(t *testing.T, s oauthSetup, pages map[string]answer) {
	t.Helper()
	type errCase struct {
		name     string
		cb       providers.Callback
		token    answer
		breakAPI *answer // replaces the profile page
		kind     error
		stage    providers.Stage
		code     string
	}
	ok := tokenJSON("")
	cases := []errCase{
		{name: "consent denied", cb: providers.Callback{Error: "access_denied", ErrorDescription: "The user denied"},
			token: ok, kind: providers.ErrDenied, stage: providers.StageCallback, code: "access_denied"},
		{name: "provider error in callback", cb: providers.Callback{Error: "server_error"},
			token: ok, kind: providers.ErrProvider, stage: providers.StageCallback, code: "server_error"},
		{name: "no code", cb: providers.Callback{},
			token: ok, kind: providers.ErrBadCallback, stage: providers.StageCallback},
		{name: "invalid_grant", token: answer{status: 400, body: `{"error":"invalid_grant","error_description":"code expired"}`},
			kind: providers.ErrProvider, stage: providers.StageExchange, code: "invalid_grant"},
		{name: "token endpoint 5xx", token: answer{status: 503, contentType: "text/html", body: "<h1>down</h1>"},
			kind: providers.ErrUnavailable, stage: providers.StageExchange},
		{name: "token endpoint malformed JSON", token: jsonAnswer(`{"access_token":`),
			kind: providers.ErrBadResponse, stage: providers.StageExchange},
		{name: "token without access_token", token: jsonAnswer(`{"token_type":"bearer"}`),
			kind: providers.ErrBadResponse, stage: providers.StageExchange},
	}
	if s.profilePath != "" {
		cases = append(cases,
			errCase{name: "profile 5xx", token: ok, breakAPI: &answer{status: 502, body: "bad gateway"},
				kind: providers.ErrUnavailable, stage: providers.StageProfile},
			errCase{name: "profile 401", token: ok, breakAPI: &answer{status: 401, body: `{"error":"invalid_token"}`},
				kind: providers.ErrProvider, stage: providers.StageProfile, code: "invalid_token"},
			errCase{name: "profile malformed JSON", token: ok, breakAPI: &answer{status: 200, body: `{"id": "1",`},
				kind: providers.ErrBadResponse, stage: providers.StageProfile},
			errCase{name: "profile without account id", token: ok, breakAPI: &answer{status: 200, body: `{}`},
				kind: providers.ErrBadResponse, stage: providers.StageProfile},
		)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.setToken(tc.token)
			for path, a := range pages {
				f.set(path, a)
			}
			if tc.breakAPI != nil {
				f.set(s.profilePath, *tc.breakAPI)
			}
			p, ar := start(t, s, f)
			cb := tc.cb
			if cb == (providers.Callback{}) && tc.name != "no code" {
				cb = providers.Callback{State: "state-1", Code: "code-1"}
			}
			_, err := p.Complete(background(), cb, ar.Pending)
			pe := requireKind(t, err, tc.kind, tc.stage)
			if tc.code != "" {
				require.Equal(t, tc.code, pe.Code)
			}
			require.Equal(t, s.name, pe.Provider)
			require.NotContains(t, err.Error(), "secret-1")
			require.NotContains(t, err.Error(), "at-1")
			if tc.stage == providers.StageCallback {
				require.Zero(t, f.hitCount("/token"), "a failed callback must not reach the token endpoint")
			}
		})
	}
	t.Run("provider unreachable", func(t *testing.T) {
		f := newFake(t)
		p, ar := start(t, s, f)
		f.srv.Close()
		_, err := p.Complete(background(), providers.Callback{State: "state-1", Code: "code-1"}, ar.Pending)
		requireKind(t, err, providers.ErrUnavailable, providers.StageExchange)
	})
	if s.pkce {
		t.Run("verifier lost", func(t *testing.T) {
			f := newFake(t)
			p, ar := start(t, s, f)
			ar.Pending.CodeVerifier = ""
			_, err := p.Complete(background(), providers.Callback{State: "state-1", Code: "code-1"}, ar.Pending)
			requireKind(t, err, providers.ErrBadCallback, providers.StageCallback)
		})
		t.Run("verifier of another request", func(t *testing.T) {
			f := newFake(t)
			f.setToken(tokenJSON(""))
			p, _ := start(t, s, f)
			other, err := p.AuthRequest(background(), "state-2")
			require.NoError(t, err)
			_, err = p.Complete(background(), providers.Callback{State: "state-1", Code: "code-1"}, other.Pending)
			pe := requireKind(t, err, providers.ErrProvider, providers.StageExchange)
			require.Equal(t, "invalid_grant", pe.Code)
		})
	}
}
