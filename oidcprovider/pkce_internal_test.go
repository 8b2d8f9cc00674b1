package oidcprovider

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/models"
)

// A code is bound to its request's client, redirect URI and PKCE challenge;
// the verifier of RFC 7636's appendix B is the control.
func TestCheckExchange(t *testing.T) {
	const (
		verifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
		challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
		redirect  = "https://rp.example.com/cb"
	)
	user := uuid.New()
	req := func(challenge *string) *models.OAuth2AuthRequest {
		return &models.OAuth2AuthRequest{ClientID: "c", RedirectURI: redirect, UserID: &user, CodeChallenge: challenge}
	}
	ch := challenge
	for _, tc := range []struct {
		name              string
		req               *models.OAuth2AuthRequest
		client, redirect  string
		verifier, problem string
	}{
		{"RFC 7636 appendix B", req(&ch), "c", redirect, verifier, ""},
		{"no PKCE at all", req(nil), "c", redirect, "", ""},
		{"another client", req(&ch), "d", redirect, verifier, "another client"},
		{"another redirect URI", req(&ch), "c", redirect + "/", verifier, "redirect_uri"},
		{"not completed", &models.OAuth2AuthRequest{ClientID: "c", RedirectURI: redirect}, "c", redirect, "", "not completed"},
		{"no verifier", req(&ch), "c", redirect, "", "required"},
		{"a verifier without a challenge", req(nil), "c", redirect, verifier, "no code_challenge"},
		{"the challenge as verifier (plain)", req(&ch), "c", redirect, challenge, "does not match"},
		{"a verifier off by one character", req(&ch), "c", redirect, verifier[:42] + "j", "does not match"},
		{"too short", req(&ch), "c", redirect, verifier[:42], "43 to 128"},
		{"a character outside the alphabet", req(&ch), "c", redirect, verifier[:42] + "+", "43 to 128"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkExchange(tc.client, tc.req, tc.redirect, tc.verifier)
			if tc.problem == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			e := err.(*apierr.Error)
			require.Equal(t, apierr.OAuthInvalidGrant, e.Code)
			require.Contains(t, e.Message, tc.problem)
		})
	}
}

func TestCheckChallengeAndPrompt(t *testing.T) {
	public, confidential := &models.OAuth2Client{}, &models.OAuth2Client{SecretHash: new(string)}
	require.NoError(t, checkChallenge(public, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256"))
	require.NoError(t, checkChallenge(confidential, "", ""))
	require.Error(t, checkChallenge(public, "", ""))
	require.Error(t, checkChallenge(confidential, "", "S256"))
	require.Error(t, checkChallenge(public, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "plain"))
	require.Error(t, checkChallenge(public, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c=", "S256"))
	for _, ok := range []string{"", "none", "login", "consent select_account", "login consent"} {
		require.NoError(t, checkPrompt(ok), ok)
	}
	for _, bad := range []string{"none consent", "always", "none none"} {
		require.Error(t, checkPrompt(bad), bad)
	}
	got, err := parseScope("  openid  profile openid email ")
	require.NoError(t, err)
	require.Equal(t, []string{"openid", "profile", "email"}, got)
	_, err = parseScope("openid \"quoted\"")
	require.Error(t, err)
}
