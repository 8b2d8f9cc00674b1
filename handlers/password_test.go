package handlers_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const newPassword = "a brand new passphrase"

func (e *env) resetPassword(addr string, options map[string]any) *response {
	e.t.Helper()
	body := map[string]any{"email": addr}
	if options != nil {
		body["options"] = options
	}
	r := e.do("POST", "/v1/user/password/reset", body)
	contract(e.t, "/user/password/reset", "POST", r)
	return r
}

func (e *env) changePassword(body map[string]any, headers ...header) *response {
	e.t.Helper()
	r := e.do("POST", "/v1/user/password", body, headers...)
	if r.Status != 403 { // elevated-claim-required is missing from the contract's enum
		contract(e.t, "/user/password", "POST", r)
	}
	return r
}

func TestPasswordResetAnswersTheSameInTheSameTimeForUnknownEmails(t *testing.T) {
	e, smtp := newMailEnv(t, nil)
	known, unknown := email(t), email(t)
	e.signUp(known, nil)
	// A slow SMTP server: an answer that waited for it would show who exists.
	const smtpDelay = 400 * time.Millisecond
	smtp.SetDelay(smtpDelay)

	timed := func(addr string) (*response, time.Duration) {
		start := time.Now()
		r := e.resetPassword(addr, map[string]any{"redirectTo": "https://app.example.com/reset"})
		return r, time.Since(start)
	}
	rk, dk := timed(known)
	ru, du := timed(unknown)
	require.Equal(t, 200, rk.Status, "%s", rk.Body)
	require.Equal(t, rk.Status, ru.Status)
	require.Equal(t, `"OK"`, string(rk.Body))
	require.Equal(t, rk.Body, ru.Body)
	require.Less(t, dk, smtpDelay, "the answer does not wait for the mail")
	require.Less(t, du, smtpDelay)

	m := smtp.Wait(t, known, 1)
	e.srv.Mailer.Close() // every background send has finished
	require.Empty(t, smtp.To(unknown))
	require.Equal(t, "password-reset", m.Header.Get("X-Email-Template"))
	require.Regexp(t, `^passwordReset:[0-9a-f-]{36}$`, m.Header.Get("X-Ticket"))
	require.Equal(t, "https://app.example.com/reset", m.Header.Get("X-Redirect-To"))
	require.Equal(t, "Reset your password", m.Subject)

	// Input errors do not depend on the account, so they are reported.
	require.Equal(t, "invalid-request", e.resetPassword("nope", nil).errorCode(t))
	require.Equal(t, "redirectTo-not-allowed", e.resetPassword(known, map[string]any{"redirectTo": "https://evil.example.com"}).errorCode(t))
}

func TestPasswordResetLinkThenChangeWithBearer(t *testing.T) {
	e, smtp := newMailEnv(t, nil)
	addr := email(t)
	first := e.signUp(addr, nil)
	pat := e.mustCreatePAT(first.AccessToken, e.clock.Now().Add(24*time.Hour), nil)

	require.Equal(t, 200, e.resetPassword(addr, nil).Status)
	m := smtp.Wait(t, addr, 1)
	loc := redirect(t, e.followLink(m.Link()))
	require.Equal(t, "passwordReset", loc.Query().Get("type"))
	require.Equal(t, "https://app.example.com", (&url.URL{Scheme: loc.Scheme, Host: loc.Host}).String())
	s := e.mustRefresh(loc.Query().Get("refreshToken"))

	r := e.changePassword(map[string]any{"newPassword": newPassword}, bearer(s.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, `"OK"`, string(r.Body))

	require.Equal(t, "invalid-email-password", e.pwSignIn(addr, password).errorCode(t))
	require.Equal(t, 200, e.pwSignIn(addr, newPassword).Status)
	// Every regular session ended, and the personal access tokens with them
	// (hasura-auth keeps PATs: issue 20, finding 8).
	require.Equal(t, 401, e.refresh(first.RefreshToken).Status)
	require.Equal(t, 401, e.refresh(s.RefreshToken).Status)
	require.Equal(t, "invalid-pat", e.signInPAT(pat.PersonalAccessToken).errorCode(t))
	// The link worked once.
	require.Equal(t, "invalid-ticket", redirectError(t, e.followLink(m.Link())))
}

func TestPasswordChangeWithTicket(t *testing.T) {
	// Apps whose template links to their own page send the ticket back themselves.
	e, smtp := newMailEnv(t, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"})
	addr := email(t)
	require.Equal(t, 200, e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password}).Status)
	verifyMail := smtp.Wait(t, addr, 1)

	require.Equal(t, 200, e.resetPassword(addr, nil).Status)
	ticket := smtp.Wait(t, addr, 2).Header.Get("X-Ticket")

	// A verifyEmail ticket is not a password reset ticket.
	require.Equal(t, "invalid-ticket", e.changePassword(map[string]any{"newPassword": newPassword, "ticket": verifyMail.Header.Get("X-Ticket")}).errorCode(t))
	require.Equal(t, "invalid-ticket", e.changePassword(map[string]any{"newPassword": newPassword, "ticket": "passwordReset:not-a-uuid"}).errorCode(t))
	// A refused password does not use the ticket up.
	require.Equal(t, "password-too-short", e.changePassword(map[string]any{"newPassword": "short", "ticket": ticket}).errorCode(t))

	r := e.changePassword(map[string]any{"newPassword": newPassword, "ticket": ticket})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	// The reset proved the address: the unverified user can sign in.
	require.Equal(t, 200, e.pwSignIn(addr, newPassword).Status)
	require.Equal(t, "invalid-ticket", e.changePassword(map[string]any{"newPassword": "yet another passphrase", "ticket": ticket}).errorCode(t))

	// Expired after an hour.
	require.Equal(t, 200, e.resetPassword(addr, nil).Status)
	late := smtp.Wait(t, addr, 3).Header.Get("X-Ticket")
	e.clock.Advance(time.Hour + time.Second)
	require.Equal(t, "invalid-ticket", e.changePassword(map[string]any{"newPassword": "yet another passphrase", "ticket": late}).errorCode(t))
	require.Equal(t, 200, e.pwSignIn(addr, newPassword).Status)
}

func TestPasswordChangeNeedsAuthAndElevation(t *testing.T) {
	e := newEnv(t, map[string]string{"AUTH_REQUIRE_ELEVATED_CLAIM": "required"})
	addr := email(t)
	signedUp := e.signUp(addr, nil)

	require.Equal(t, "unauthorized", e.changePassword(map[string]any{"newPassword": newPassword}).errorCode(t))
	require.Equal(t, "invalid-request", e.changePassword(map[string]any{"password": newPassword}, bearer(signedUp.AccessToken)).errorCode(t))
	r := e.changePassword(map[string]any{"newPassword": newPassword}, bearer(signedUp.AccessToken))
	require.Equal(t, 403, r.Status)
	require.Equal(t, "elevated-claim-required", r.errorCode(t))

	elevated := e.signIn(addr)
	require.Equal(t, "password-too-short", e.changePassword(map[string]any{"newPassword": "short"}, bearer(elevated.AccessToken)).errorCode(t))
	require.Equal(t, 200, e.changePassword(map[string]any{"newPassword": newPassword}, bearer(elevated.AccessToken)).Status)
	require.Equal(t, 200, e.pwSignIn(addr, newPassword).Status)

	plain := newEnv(t, nil)
	anon := plain.anonymous()
	require.Equal(t, "forbidden-anonymous", plain.changePassword(map[string]any{"newPassword": newPassword}, bearer(anon.AccessToken)).errorCode(t))
}
