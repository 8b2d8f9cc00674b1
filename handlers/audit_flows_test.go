package handlers_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The account flows leave their trail in the audit log, and deanonymizing
// ends the anonymous session's access tokens too, not only its refresh tokens.
func TestAccountFlowsAreAudited(t *testing.T) {
	e, smtp := newMailEnv(t, map[string]string{
		"HASURA_GRAPHQL_ADMIN_SECRET":               opsAdminSecret,
		"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true",
	})

	anon := e.anonymous()
	e.clock.Advance(time.Second) // the epoch compares issue times; a frozen clock would tie them
	addr := email(t)
	r := e.do("POST", "/v1/user/deanonymize", map[string]any{
		"signInMethod": "email-password", "email": addr, "password": password,
	}, bearer(anon.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	e.requireAccess(anon.AccessToken, 401)

	// Following the verification link verifies the address.
	verify := smtp.Wait(t, addr, 1)
	redirect(t, e.followLink(verify.Link()))

	// Reset the password through the mailed link.
	require.Equal(t, 200, e.resetPassword(addr, nil).Status)
	reset := smtp.Wait(t, addr, 2)
	loc := redirect(t, e.followLink(reset.Link()))
	s := e.mustRefresh(loc.Query().Get("refreshToken"))
	require.Equal(t, 200, e.changePassword(map[string]any{"newPassword": newPassword}, bearer(s.AccessToken)).Status)

	events := eventTypes(e.auditLog("userId=" + anon.User.ID))
	for _, want := range []string{"deanonymized", "email-verified", "password-changed"} {
		require.Contains(t, events, want)
	}
}
