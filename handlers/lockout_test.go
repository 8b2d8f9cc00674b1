package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func (e *env) rightPassword(addr string, from ...header) *response {
	e.t.Helper()
	return e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password}, from...)
}

// Wrong passwords sent from many IPs must not lock the account's owner out:
// the limits are per IP and per (email, IP); the account's own limit only
// refuses IPs that have failed at it (or asks for a Turnstile answer).
func TestBruteForceCannotLockTheOwnerOut(t *testing.T) {
	e := newEnv(t, rateLimited("", nil)) // brute force: 3 per 5 minutes
	addr := email(t)
	e.signUp(addr, nil)
	for i := range 10 {
		r := e.wrongPassword(addr, fromIP(fmt.Sprintf("203.0.113.%d", i+1)))
		require.Equal(t, 401, r.Status, "attempt %d from its own IP: %s", i+1, r.Body)
	}
	r := e.rightPassword(addr, fromIP("203.0.113.200"))
	require.Equal(t, 200, r.Status, "the owner, from an IP that has not failed: %s", r.Body)

	// An IP that has failed at this account is refused once the account's limit is reached…
	requireTooMany(t, e.wrongPassword(addr, fromIP("203.0.113.1")), "100")
	// …and one IP keeps its own limit per account.
	other := email(t)
	e.signUp(other, nil)
	for range 3 {
		require.Equal(t, 401, e.wrongPassword(other, fromIP("198.51.100.9")).Status)
	}
	r = e.wrongPassword(other, fromIP("198.51.100.9"))
	require.Equal(t, 429, r.Status, "%s", r.Body)
	require.Equal(t, 200, e.rightPassword(other, fromIP("198.51.100.10")).Status, "the owner elsewhere is not")
}

// With Turnstile configured, an account past its limit asks every IP for a
// passed challenge instead of refusing.
func TestBruteForceAsksForTurnstilePastTheAccountLimit(t *testing.T) {
	siteverify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		fmt.Fprintf(w, `{"success":%v}`, r.PostForm.Get("response") == "passed-token")
	}))
	defer siteverify.Close()
	e := newEnv(t, rateLimited("", map[string]string{"AUTH_TURNSTILE_SECRET": "0x4-test", "AUTH_TURNSTILE_VERIFY_URL": siteverify.URL}))
	addr := email(t)
	r := e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password}, header{"X-Cf-Turnstile-Response", "passed-token"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	for i := range 3 {
		require.Equal(t, 401, e.wrongPassword(addr, fromIP(fmt.Sprintf("203.0.113.%d", i+1))).Status)
	}
	r = e.rightPassword(addr, fromIP("203.0.113.200"))
	require.Equal(t, 403, r.Status, "%s", r.Body)
	require.Equal(t, "turnstile-failed", r.errorCode(t))
	r = e.rightPassword(addr, fromIP("203.0.113.200"), header{"X-Cf-Turnstile-Response", "passed-token"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, 401, e.wrongPassword(addr, fromIP("203.0.113.1"), header{"X-Cf-Turnstile-Response", "passed-token"}).Status,
		"a passed challenge lets a guess through, counted per IP as ever")
}
