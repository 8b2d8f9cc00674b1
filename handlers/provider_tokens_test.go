package handlers_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/oauth/providertest"
)

// The provider's own tokens: GET /signin/provider/{provider}/callback/tokens
// (read once) and POST /token/provider/{provider} (refresh at the provider),
// end to end through the server, the fake GitHub and real PostgreSQL.

// providerSessionResp is the contract's ProviderSession.
type providerSessionResp struct {
	AccessToken  string    `json:"accessToken"`
	ExpiresIn    int64     `json:"expiresIn"`
	ExpiresAt    time.Time `json:"expiresAt"`
	RefreshToken *string   `json:"refreshToken"`
}

const tokensPath = "/signin/provider/{provider}/callback/tokens"

// providerTokens reads the caller's tokens of provider, which must be there.
func (e *env) providerTokens(access, provider string) providerSessionResp {
	e.t.Helper()
	r := e.do("GET", "/v1/signin/provider/"+provider+"/callback/tokens", nil, bearer(access))
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	contract(e.t, tokensPath, "get", r)
	require.Equal(e.t, "no-store", r.Header.Get("Cache-Control"))
	var s providerSessionResp
	r.decode(e.t, &s)
	return s
}

// refreshProvider is POST /token/provider/{provider}.
func (e *env) refreshProvider(access, provider string, body any) *response {
	e.t.Helper()
	var hs []header
	if access != "" {
		hs = append(hs, bearer(access))
	}
	r := e.do("POST", "/v1/token/provider/"+provider, body, hs...)
	contract(e.t, "/token/provider/{provider}", "post", r)
	return r
}

// tokensEnv: every provider, and AUTH_ENCRYPTION_KEY so that tokens are kept.
func tokensEnv(t *testing.T) *providerEnv {
	return newProviderEnv(t, map[string]string{"AUTH_ENCRYPTION_KEY": testEncryptionKey})
}

// signInGitHub signs account in with GitHub in a browser and returns the
// user's session.
func (pe *providerEnv) signInGitHub(t *testing.T, a providertest.Account) sessionBody {
	t.Helper()
	pe.github.Next(a)
	return pe.mustRefresh(newBrowser(t).visit(pe.startURL("github", url.Values{"redirectTo": {appURL}})).refreshToken(t))
}

// storedTokens is what auth.user_providers holds of a link's tokens.
type storedTokens struct {
	AccessToken          string
	RefreshToken         *string
	AccessTokenExpiresAt *time.Time
	RefreshTokenHash     *string
}

func (pe *providerEnv) storedTokens(provider, providerUserID string) storedTokens {
	pe.t.Helper()
	var s []storedTokens
	require.NoError(pe.t, pe.db().Raw(`SELECT access_token, refresh_token, access_token_expires_at, refresh_token_hash
  FROM auth.user_providers WHERE provider_id = ? AND provider_user_id = ?`, provider, providerUserID).Scan(&s).Error)
	require.Len(pe.t, s, 1)
	return s[0]
}

func TestProviderTokensReadOnce(t *testing.T) {
	pe := tokensEnv(t)
	s := pe.signInGitHub(t, providertest.Account{ID: "5001", Email: "tok@example.com", Verified: true, Name: "Tok"})

	// At rest: sealed, not in clear; the expiry and the refresh token's hash beside.
	at := pe.storedTokens("github", "5001")
	require.True(t, strings.HasPrefix(at.AccessToken, "enc:v1:"), "%s", at.AccessToken)
	require.NotNil(t, at.RefreshToken)
	require.True(t, strings.HasPrefix(*at.RefreshToken, "enc:v1:"))
	require.NotNil(t, at.AccessTokenExpiresAt)
	require.NotNil(t, at.RefreshTokenHash)

	// Another user has nothing to read (the read is keyed by the caller).
	other := pe.signUp("other-tok@example.com", nil)
	r := pe.do("GET", "/v1/signin/provider/github/callback/tokens", nil, bearer(other.AccessToken))
	require.Equal(t, 400, r.Status, "%s", r.Body)
	require.Equal(t, "invalid-request", r.errorCode(t))

	pe.clock.Advance(10 * time.Minute)
	got := pe.env.providerTokens(s.AccessToken, "github")
	require.True(t, pe.github.IsAccessToken(got.AccessToken), "the access token GitHub granted")
	require.NotNil(t, got.RefreshToken)
	require.NotEmpty(t, *got.RefreshToken)
	require.InDelta(t, 3000, got.ExpiresIn, 10, "GitHub said 3600 s; 600 s have passed")
	require.WithinDuration(t, pe.clock.Now().Add(50*time.Minute), got.ExpiresAt, 10*time.Second)
	for _, col := range []string{at.AccessToken, *at.RefreshToken} {
		require.NotContains(t, col, got.AccessToken)
		require.NotContains(t, col, *got.RefreshToken)
	}
	require.Equal(t, refreshHash(*got.RefreshToken), *at.RefreshTokenHash)

	// Once: the tokens are gone from the database, and a second read fails.
	after := pe.storedTokens("github", "5001")
	require.Equal(t, "unset", after.AccessToken)
	require.Nil(t, after.RefreshToken)
	require.Nil(t, after.AccessTokenExpiresAt)
	require.Equal(t, at.RefreshTokenHash, after.RefreshTokenHash, "the hash stays: the refresh token can still be refreshed")
	r = pe.do("GET", "/v1/signin/provider/github/callback/tokens", nil, bearer(s.AccessToken))
	require.Equal(t, 400, r.Status, "%s", r.Body)
	require.Equal(t, "invalid-request", r.errorCode(t))
	contract(t, tokensPath, "get", r)

	// The next sign-in keeps new tokens, to be read once again.
	s2 := pe.signInGitHub(t, providertest.Account{ID: "5001", Email: "tok@example.com", Verified: true})
	require.Equal(t, s.User.ID, s2.User.ID)
	again := pe.env.providerTokens(s2.AccessToken, "github")
	require.NotEqual(t, got.AccessToken, again.AccessToken)
}

// Two reads at once: one gets the tokens, the other nothing.
func TestProviderTokensConcurrentReads(t *testing.T) {
	pe := tokensEnv(t)
	s := pe.signInGitHub(t, providertest.Account{ID: "5002", Email: "race@example.com", Verified: true})
	statuses := make([]int, 4)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = pe.do("GET", "/v1/signin/provider/github/callback/tokens", nil, bearer(s.AccessToken)).Status
		})
	}
	wg.Wait()
	ok := 0
	for _, st := range statuses {
		if st == 200 {
			ok++
		} else {
			require.Equal(t, 400, st)
		}
	}
	require.Equal(t, 1, ok, "statuses %v", statuses)
}

// connect keeps the tokens for the user who connected the account.
func TestProviderTokensAfterConnect(t *testing.T) {
	pe := tokensEnv(t)
	owner := pe.signUp("connector@example.com", nil)
	pe.github.Next(providertest.Account{ID: "5003", Email: "elsewhere@example.net"})
	l := newBrowser(t).visit(pe.startURL("github", url.Values{"connect": {owner.AccessToken}, "redirectTo": {appURL}}))
	require.Empty(t, l.query().Get("error"), "landed at %s", l.to)
	got := pe.env.providerTokens(owner.AccessToken, "github")
	require.True(t, pe.github.IsAccessToken(got.AccessToken))
}

func TestProviderTokenRefresh(t *testing.T) {
	pe := tokensEnv(t)
	s := pe.signInGitHub(t, providertest.Account{ID: "5004", Email: "refresh@example.com", Verified: true})
	first := pe.env.providerTokens(s.AccessToken, "github")
	calls := pe.github.TokenCalls()

	r := pe.env.refreshProvider(s.AccessToken, "github", map[string]any{"refreshToken": *first.RefreshToken})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	require.Equal(t, calls+1, pe.github.TokenCalls(), "one call to GitHub's token endpoint")
	var next providerSessionResp
	r.decode(t, &next)
	require.True(t, pe.github.IsAccessToken(next.AccessToken), "a token GitHub granted")
	require.NotEqual(t, first.AccessToken, next.AccessToken)
	require.NotNil(t, next.RefreshToken)
	require.NotEqual(t, *first.RefreshToken, *next.RefreshToken, "GitHub rotated it")
	require.InDelta(t, 1800, next.ExpiresIn, 10)
	require.Equal(t, refreshHash(*next.RefreshToken), *pe.storedTokens("github", "5004").RefreshTokenHash,
		"the link now accepts the rotated refresh token")

	// The rotated-out token is refused here, without asking GitHub.
	calls = pe.github.TokenCalls()
	r = pe.env.refreshProvider(s.AccessToken, "github", map[string]any{"refreshToken": *first.RefreshToken})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	require.Equal(t, "oauth-provider-error", r.errorCode(t))
	require.Equal(t, calls, pe.github.TokenCalls())

	// The new one refreshes again.
	r = pe.env.refreshProvider(s.AccessToken, "github", map[string]any{"refreshToken": *next.RefreshToken})
	require.Equal(t, 200, r.Status, "%s", r.Body)
}

func TestProviderTokenErrors(t *testing.T) {
	pe := tokensEnv(t)
	s := pe.signInGitHub(t, providertest.Account{ID: "5005", Email: "errors@example.com", Verified: true})
	granted := *pe.env.providerTokens(s.AccessToken, "github").RefreshToken
	other := pe.signUp("thief@example.com", nil)
	plain := newProviderEnv(t, nil) // no AUTH_ENCRYPTION_KEY
	plainUser := plain.signUp("plain@example.com", nil)

	t.Run("read", func(t *testing.T) {
		for name, tc := range map[string]struct {
			e      *env
			path   string
			hdr    []header
			status int
			code   string
		}{
			"no access token":        {pe.env, "/v1/signin/provider/github/callback/tokens", nil, 401, "unauthorized"},
			"a bad access token":     {pe.env, "/v1/signin/provider/github/callback/tokens", []header{bearer("x.y.z")}, 401, "unauthorized"},
			"nothing kept":           {pe.env, "/v1/signin/provider/google/callback/tokens", []header{bearer(s.AccessToken)}, 400, "invalid-request"},
			"a provider not enabled": {pe.env, "/v1/signin/provider/spotify/callback/tokens", []header{bearer(s.AccessToken)}, 400, "invalid-request"},
			"no encryption key":      {plain.env, "/v1/signin/provider/github/callback/tokens", []header{bearer(plainUser.AccessToken)}, 409, "disabled-endpoint"},
		} {
			t.Run(name, func(t *testing.T) {
				r := tc.e.do("GET", tc.path, nil, tc.hdr...)
				require.Equal(t, tc.status, r.Status, "%s", r.Body)
				require.Equal(t, tc.code, r.errorCode(t))
				contract(t, tokensPath, "get", r)
			})
		}
	})

	t.Run("refresh", func(t *testing.T) {
		for name, tc := range map[string]struct {
			e        *env
			access   string
			provider string
			body     any
			fail     int // GitHub's token endpoint answers this status
			status   int
			code     string
			asks     bool // GitHub is asked
		}{
			"no access token":         {pe.env, "", "github", map[string]any{"refreshToken": granted}, 0, 401, "unauthorized", false},
			"no body":                 {pe.env, s.AccessToken, "github", nil, 0, 400, "invalid-request", false},
			"no refresh token":        {pe.env, s.AccessToken, "github", map[string]any{}, 0, 400, "invalid-request", false},
			"an empty refresh token":  {pe.env, s.AccessToken, "github", map[string]any{"refreshToken": ""}, 0, 400, "invalid-request", false},
			"not a string":            {pe.env, s.AccessToken, "github", map[string]any{"refreshToken": 42}, 0, 400, "invalid-request", false},
			"an unknown field":        {pe.env, s.AccessToken, "github", map[string]any{"refreshToken": granted, "scope": "x"}, 0, 400, "invalid-request", false},
			"a provider not enabled":  {pe.env, s.AccessToken, "spotify", map[string]any{"refreshToken": granted}, 0, 409, "disabled-endpoint", false},
			"another provider's":      {pe.env, s.AccessToken, "google", map[string]any{"refreshToken": granted}, 0, 400, "oauth-provider-error", false},
			"granted to someone else": {pe.env, other.AccessToken, "github", map[string]any{"refreshToken": granted}, 0, 400, "oauth-provider-error", false},
			"never granted":           {pe.env, s.AccessToken, "github", map[string]any{"refreshToken": "made-up"}, 0, 400, "oauth-provider-error", false},
			"GitHub is down":          {pe.env, s.AccessToken, "github", map[string]any{"refreshToken": granted}, 503, 400, "oauth-provider-error", true},
			"GitHub refuses":          {pe.env, s.AccessToken, "github", map[string]any{"refreshToken": granted}, 400, 400, "oauth-provider-error", true},
			"no encryption key":       {plain.env, plainUser.AccessToken, "github", map[string]any{"refreshToken": granted}, 0, 409, "disabled-endpoint", false},
		} {
			t.Run(name, func(t *testing.T) {
				pe.github.FailTokens(tc.fail)
				defer pe.github.FailTokens(0)
				stored := pe.storedTokens("github", "5005")
				calls := pe.github.TokenCalls()
				r := tc.e.refreshProvider(tc.access, tc.provider, tc.body)
				require.Equal(t, tc.status, r.Status, "%s", r.Body)
				require.Equal(t, tc.code, r.errorCode(t))
				require.Equal(t, tc.asks, pe.github.TokenCalls() > calls, "whether GitHub was asked")
				require.Equal(t, stored, pe.storedTokens("github", "5005"), "a refused refresh changes nothing")
				require.NotContains(t, string(r.Body), granted, "the token is never echoed")
			})
		}
	})

	// After all that, the granted token still works.
	r := pe.env.refreshProvider(s.AccessToken, "github", map[string]any{"refreshToken": granted})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
}

// refreshHash is what a link keeps of a refresh token (hex SHA-256).
func refreshHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Tokens that cannot be opened (sealed under a key since removed, or
// tampered with) are a 500 without internals, and stay where they were: the
// read clears only what it could give.
func TestProviderTokensUnreadable(t *testing.T) {
	pe := tokensEnv(t)
	s := pe.signInGitHub(t, providertest.Account{ID: "5006", Email: "sealed@example.com", Verified: true})
	bad := "enc:v1:someotherkey:AAAA"
	require.NoError(t, pe.db().Exec(`UPDATE auth.user_providers SET access_token = ? WHERE provider_user_id = '5006'`, bad).Error)
	r := pe.do("GET", "/v1/signin/provider/github/callback/tokens", nil, bearer(s.AccessToken))
	require.Equal(t, 500, r.Status, "%s", r.Body)
	require.Equal(t, "internal-server-error", r.errorCode(t))
	require.NotContains(t, string(r.Body), "key")
	contract(t, tokensPath, "get", r)
	require.Equal(t, bad, pe.storedTokens("github", "5006").AccessToken)
}
