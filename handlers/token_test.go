package handlers_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/models"
)

func (e *env) refresh(tok string) *response {
	e.t.Helper()
	return e.do("POST", "/v1/token", map[string]any{"refreshToken": tok})
}

func (e *env) mustRefresh(tok string) sessionBody {
	e.t.Helper()
	r := e.refresh(tok)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	contract(e.t, "/token", "post", r)
	var s sessionBody
	r.decode(e.t, &s)
	return s
}

func (e *env) liveSessions(userID string) int64 {
	e.t.Helper()
	var n int64
	require.NoError(e.t, e.db().Model(&models.RefreshToken{}).Where("user_id = ?", userID).Count(&n).Error)
	return n
}

func TestRefreshRotates(t *testing.T) {
	e := newEnv(t, nil)
	s0 := e.signUp(email(t), nil)
	e.clock.Advance(time.Minute)
	s1 := e.mustRefresh(s0.RefreshToken)
	require.NotEqual(t, s0.RefreshToken, s1.RefreshToken)
	require.Equal(t, s0.RefreshTokenID, s1.RefreshTokenID, "rotation keeps the session id")
	require.Equal(t, s0.User.ID, s1.User.ID)
	c := e.hasuraClaims(s1.AccessToken)
	require.EqualValues(t, e.clock.Now().Unix(), c.Payload["iat"])

	// Sliding expiry: the session now ends a full lifetime after the refresh.
	var rt models.RefreshToken
	require.NoError(t, e.db().Where("id = ?", s1.RefreshTokenID).Take(&rt).Error)
	require.WithinDuration(t, e.clock.Now().Add(30*24*time.Hour), rt.ExpiresAt, time.Second)
	require.Equal(t, 1, rt.Generation)

	// A chain of rotations keeps working.
	s2 := e.mustRefresh(s1.RefreshToken)
	s3 := e.mustRefresh(s2.RefreshToken)
	require.Equal(t, s0.RefreshTokenID, s3.RefreshTokenID)
	require.Equal(t, int64(1), e.liveSessions(s0.User.ID))
}

func TestRefreshWithinReuseWindowReturnsSameToken(t *testing.T) {
	e := newEnv(t, nil)
	s0 := e.signUp(email(t), nil)
	s1 := e.mustRefresh(s0.RefreshToken)
	e.clock.Advance(9 * time.Second)
	late := e.mustRefresh(s0.RefreshToken)
	require.Equal(t, s1.RefreshToken, late.RefreshToken, "the tab that lost the race gets the winner's token")
	require.Equal(t, s1.RefreshTokenID, late.RefreshTokenID)
	e.hasuraClaims(late.AccessToken)
	// Both tabs now hold the same live token.
	s2 := e.mustRefresh(late.RefreshToken)
	require.Equal(t, s0.RefreshTokenID, s2.RefreshTokenID)
	require.Equal(t, int64(1), e.liveSessions(s0.User.ID))
}

func TestRefreshReuseAfterWindowRevokesSession(t *testing.T) {
	e := newEnv(t, nil)
	s0 := e.signUp(email(t), nil)
	s1 := e.mustRefresh(s0.RefreshToken)
	e.clock.Advance(11 * time.Second)

	r := e.refresh(s0.RefreshToken)
	require.Equal(t, 401, r.Status, "%s", r.Body)
	require.Equal(t, "invalid-refresh-token", r.errorCode(t))
	contract(t, "/token", "post", r)
	require.Zero(t, e.liveSessions(s0.User.ID), "replay deletes the whole session")

	r = e.refresh(s1.RefreshToken)
	require.Equal(t, 401, r.Status, "the newest token dies with its session")
	require.Equal(t, "invalid-refresh-token", r.errorCode(t))

	logs := e.logs.String()
	require.Contains(t, logs, "refresh token reuse detected")
	require.Contains(t, logs, s0.User.ID)
	require.Contains(t, logs, s0.RefreshTokenID)
	require.NotContains(t, logs, s0.RefreshToken)
	require.NotContains(t, logs, s1.RefreshToken)
}

func TestRefreshOlderGenerationRevokesSession(t *testing.T) {
	e := newEnv(t, nil)
	s0 := e.signUp(email(t), nil)
	s1 := e.mustRefresh(s0.RefreshToken)
	s2 := e.mustRefresh(s1.RefreshToken)
	// Within the window, but two generations old: theft, not a race.
	r := e.refresh(s0.RefreshToken)
	require.Equal(t, 401, r.Status, "%s", r.Body)
	require.Zero(t, e.liveSessions(s0.User.ID))
	require.Equal(t, 401, e.refresh(s2.RefreshToken).Status)
}

// concurrently starts n requests at the same moment and returns the answers.
func concurrently(n int, do func(i int) *response) []*response {
	var wg sync.WaitGroup
	results := make([]*response, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = do(i)
		}()
	}
	close(start)
	wg.Wait()
	return results
}

// refreshConcurrently presents tok n times at once, spread over the
// instances in envs.
func refreshConcurrently(envs []*env, tok string, n int) []*response {
	return concurrently(n, func(i int) *response {
		return envs[i%len(envs)].do("POST", "/v1/token", map[string]any{"refreshToken": tok})
	})
}

func TestRefreshConcurrentSameToken(t *testing.T) {
	e := newEnv(t, nil)
	s0 := e.signUp(email(t), nil)
	results := refreshConcurrently([]*env{e}, s0.RefreshToken, 50)
	tokens := map[string]int{}
	for _, r := range results {
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var s sessionBody
		r.decode(t, &s)
		require.Equal(t, s0.RefreshTokenID, s.RefreshTokenID)
		tokens[s.RefreshToken]++
	}
	require.Len(t, tokens, 1, "every caller gets one and the same new token")
	for tok := range tokens {
		require.NotEqual(t, s0.RefreshToken, tok)
		require.Equal(t, int64(1), e.liveSessions(s0.User.ID), "exactly one live session row")
		e.mustRefresh(tok)
	}
}

func TestRefreshErrors(t *testing.T) {
	e := newEnv(t, nil)
	expired := e.signUp(email(t), nil)
	e.clock.Advance(30*24*time.Hour + time.Second)
	fresh := e.signUp(email(t), nil)
	disabled := e.signUp(email(t), nil)
	require.NoError(t, e.db().Model(&models.User{}).Where("id = ?", disabled.User.ID).Update("disabled", true).Error)

	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"expired", map[string]any{"refreshToken": expired.RefreshToken}, 401, "invalid-refresh-token"},
		{"unknown", map[string]any{"refreshToken": uuid.NewString()}, 401, "invalid-refresh-token"},
		{"disabled user", map[string]any{"refreshToken": disabled.RefreshToken}, 401, "disabled-user"},
		{"not a uuid", map[string]any{"refreshToken": "abc"}, 400, "invalid-request"},
		{"missing", map[string]any{}, 400, "invalid-request"},
		{"wrong type", `{"refreshToken": 1}`, 400, "invalid-request"},
		{"unknown field", `{"refreshToken": "` + fresh.RefreshToken + `", "x": 1}`, 400, "invalid-request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/v1/token", tc.body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.Equal(t, tc.code, r.errorCode(t))
			contract(t, "/token", "post", r)
		})
	}
	// The refused requests did not touch the valid session.
	e.mustRefresh(fresh.RefreshToken)
}

func TestSignOut(t *testing.T) {
	e := newEnv(t, nil)
	addr := email(t)
	a := e.signUp(addr, nil)
	var b sessionBody
	r := e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password})
	require.Equal(t, 200, r.Status)
	var p struct{ Session sessionBody }
	r.decode(t, &p)
	b = p.Session

	r = e.do("POST", "/v1/signout", map[string]any{"refreshToken": a.RefreshToken})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.JSONEq(t, `"OK"`, string(r.Body))
	contract(t, "/signout", "post", r)
	require.Equal(t, 401, e.refresh(a.RefreshToken).Status)
	require.Equal(t, int64(1), e.liveSessions(a.User.ID), "the other session lives on")
	// Signing out twice is harmless.
	require.Equal(t, 200, e.do("POST", "/v1/signout", map[string]any{"refreshToken": a.RefreshToken}).Status)

	// A token just rotated away still names its session for sign-out.
	b1 := e.mustRefresh(b.RefreshToken)
	require.Equal(t, 200, e.do("POST", "/v1/signout", map[string]any{"refreshToken": b.RefreshToken}).Status)
	require.Equal(t, 401, e.refresh(b1.RefreshToken).Status)
}

func TestSignOutAll(t *testing.T) {
	e := newEnv(t, nil)
	addr := email(t)
	a := e.signUp(addr, nil)
	for range 3 {
		require.Equal(t, 200, e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password}).Status)
	}
	other := e.signUp(email(t), nil)
	require.Equal(t, int64(4), e.liveSessions(a.User.ID))
	r := e.do("POST", "/v1/signout", map[string]any{"all": true}, bearer(a.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Zero(t, e.liveSessions(a.User.ID))
	require.Equal(t, int64(1), e.liveSessions(other.User.ID))
}

func TestSignOutErrors(t *testing.T) {
	e := newEnv(t, nil)
	s := e.signUp(email(t), nil)
	cases := []struct {
		name    string
		body    any
		headers []header
		status  int
		code    string
	}{
		{"all without bearer", map[string]any{"all": true}, nil, 401, "unauthorized"},
		{"all with refresh token as bearer", map[string]any{"all": true}, []header{bearer(s.RefreshToken)}, 401, "unauthorized"},
		{"all with malformed header", map[string]any{"all": true}, []header{{"Authorization", "Bearer a b"}}, 401, "unauthorized"},
		{"nothing to sign out", map[string]any{}, nil, 400, "invalid-request"},
		{"not a uuid", map[string]any{"refreshToken": "x"}, nil, 400, "invalid-request"},
		{"wrong type", `{"all": "yes"}`, nil, 400, "invalid-request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/v1/signout", tc.body, tc.headers...)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.Equal(t, tc.code, r.errorCode(t))
		})
	}
	require.Equal(t, int64(1), e.liveSessions(s.User.ID))
}

func TestVerifyToken(t *testing.T) {
	e := newEnv(t, nil)
	s := e.signUp(email(t), nil)
	tampered := s.AccessToken[:len(s.AccessToken)-4] + strings.Repeat("A", 4)
	if tampered == s.AccessToken {
		tampered = s.AccessToken[:len(s.AccessToken)-4] + "BBBB"
	}
	cases := []struct {
		name    string
		body    any
		headers []header
		advance time.Duration
		status  int
	}{
		{"body token", map[string]any{"token": s.AccessToken}, nil, 0, 200},
		{"bearer token", nil, []header{bearer(s.AccessToken)}, 0, 200},
		{"empty object uses bearer", map[string]any{}, []header{bearer(s.AccessToken)}, 0, 200},
		{"tampered", map[string]any{"token": tampered}, nil, 0, 401},
		{"garbage", map[string]any{"token": "not.a.jwt"}, nil, 0, 401},
		{"nothing", nil, nil, 0, 401},
		{"refresh token is not an access token", map[string]any{"token": s.RefreshToken}, nil, 0, 401},
		{"one second before exp", map[string]any{"token": s.AccessToken}, nil, 899 * time.Second, 200},
		{"at exp", map[string]any{"token": s.AccessToken}, nil, time.Second, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Advance(tc.advance)
			r := e.do("POST", "/v1/token/verify", tc.body, tc.headers...)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			contract(t, "/token/verify", "post", r)
			if tc.status == 200 {
				require.JSONEq(t, `"OK"`, string(r.Body))
			} else {
				require.Equal(t, "unauthorized", r.errorCode(t))
			}
		})
	}
}
