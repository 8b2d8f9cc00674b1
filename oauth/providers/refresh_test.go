package providers_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/oauth/providers"
)

// Refresh: the refresh_token grant at the provider's token endpoint.
func TestRefresh(t *testing.T) {
	setup := func(t *testing.T) (providers.Refresher, *fake) {
		f := newFake(t)
		var cfg providers.Config
		common(&cfg.GitHub.OAuth2, f, "/user")
		p, ok := registry(t, cfg, nil).Provider("github")
		require.True(t, ok)
		r, ok := p.(providers.Refresher)
		require.True(t, ok, "an OAuth 2.0 provider refreshes")
		return r, f
	}

	t.Run("rotated", func(t *testing.T) {
		r, f := setup(t)
		f.setToken(jsonAnswer(`{"access_token":"at-2","token_type":"bearer","expires_in":600,"refresh_token":"rt-2"}`))
		tok, err := r.Refresh(background(), "rt-1")
		require.NoError(t, err)
		require.Equal(t, "at-2", tok.AccessToken)
		require.Equal(t, "rt-2", tok.RefreshToken)
		require.WithinDuration(t, time.Now().Add(10*time.Minute), tok.Expiry, 5*time.Second)
		form := f.lastTokenRequest()
		require.Equal(t, "refresh_token", form.Get("grant_type"))
		require.Equal(t, "rt-1", form.Get("refresh_token"))
		require.Equal(t, "client-1", form.Get("client_id")+form.Get("basic_client_id"), "the client authenticates")
	})
	t.Run("not rotated: the one sent is still the one", func(t *testing.T) {
		r, f := setup(t)
		f.setToken(jsonAnswer(`{"access_token":"at-2","token_type":"bearer","expires_in":600}`))
		tok, err := r.Refresh(background(), "rt-1")
		require.NoError(t, err)
		require.Equal(t, "rt-1", tok.RefreshToken)
	})
	for name, tc := range map[string]struct {
		token   string
		answer  answer
		kind    error
		code    string
		noCalls bool
	}{
		"refused":         {"rt-1", answer{status: 400, body: `{"error":"invalid_grant","error_description":"expired"}`}, providers.ErrProvider, "invalid_grant", false},
		"down":            {"rt-1", answer{status: 503, body: `oops`, contentType: "text/plain"}, providers.ErrUnavailable, "", false},
		"no token":        {"", tokenJSON(""), providers.ErrProvider, "", true},
		"no access token": {"rt-1", jsonAnswer(`{"token_type":"bearer"}`), providers.ErrBadResponse, "", false},
	} {
		t.Run(name, func(t *testing.T) {
			r, f := setup(t)
			f.setToken(tc.answer)
			_, err := r.Refresh(background(), tc.token)
			require.Error(t, err)
			var pe *providers.Error
			require.True(t, errors.As(err, &pe), "%v", err)
			require.ErrorIs(t, err, tc.kind)
			require.Equal(t, providers.StageExchange, pe.Stage)
			if tc.code != "" {
				require.Equal(t, tc.code, pe.Code)
			}
			require.Equal(t, tc.noCalls, f.hitCount("/token") == 0)
		})
	}
}

// Twitter (OAuth 1.0a) has no refresh: POST /token/provider/twitter says so.
func TestTwitterDoesNotRefresh(t *testing.T) {
	s := newTwitterServer(t)
	p, ok := registry(t, s.config(), nil).Provider("twitter")
	require.True(t, ok)
	_, refreshes := p.(providers.Refresher)
	require.False(t, refreshes)
}
