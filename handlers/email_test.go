package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/mail/mailtest"
)

// Email flows end to end: the server mails through a real SMTP server in the
// test process (mail/mailtest), and the tests follow the links it received.

const authURL = "https://auth.example.com"

// newMailEnv starts an SMTP server and a server that sends through it.
func newMailEnv(t *testing.T, overrides map[string]string) (*env, *mailtest.Server) {
	t.Helper()
	smtp := mailtest.Start(t) // cleaned up after the server, which waits for its sends
	vals := map[string]string{
		"AUTH_SMTP_HOST":   smtp.Host,
		"AUTH_SMTP_PORT":   smtp.PortString(),
		"AUTH_SMTP_SENDER": "My App <auth@example.com>",
		"AUTH_SERVER_URL":  authURL + "/v1", // nhost's meaning: the API's public URL, prefix included
	}
	for k, v := range overrides {
		vals[k] = v
	}
	return newEnv(t, vals), smtp
}

// follow opens an emailed link through the router (it points at AUTH_SERVER_URL).
func (e *env) followLink(link string) *response {
	e.t.Helper()
	require.True(e.t, strings.HasPrefix(link, authURL+"/v1/verify?"), "link %q", link)
	return e.do("GET", strings.TrimPrefix(link, authURL), nil)
}

// redirect checks a /verify answer is a bare 302 and returns its Location.
func redirect(t testing.TB, r *response) *url.URL {
	t.Helper()
	require.Equal(t, http.StatusFound, r.Status, "%s", r.Body)
	require.Empty(t, r.Body)
	contract(t, "/verify", "GET", r)
	require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	u, err := url.Parse(r.Header.Get("Location"))
	require.NoError(t, err)
	return u
}

// redirectError is the error code a /verify redirect carries.
func redirectError(t testing.TB, r *response) string {
	t.Helper()
	q := redirect(t, r).Query()
	require.Empty(t, q.Get("refreshToken"))
	require.NotEmpty(t, q.Get("errorDescription"))
	return q.Get("error")
}

func (e *env) pwSignIn(addr, pw string) *response {
	e.t.Helper()
	return e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": pw})
}

func (e *env) storedTicketOf(addr string) string {
	e.t.Helper()
	var ticket *string
	require.NoError(e.t, e.db().Raw("SELECT ticket FROM auth.users WHERE email = ?", addr).Row().Scan(&ticket))
	if ticket == nil {
		return ""
	}
	return *ticket
}

var rawTicket = regexp.MustCompile(`(verifyEmail|passwordReset|passwordlessEmail|emailConfirmChange):[0-9a-f]{8}-[0-9a-f]{4}-`)

func TestEmailSignUpMailsVerificationAndTheLinkSignsIn(t *testing.T) {
	e, smtp := newMailEnv(t, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"})
	addr := email(t)
	r := e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password,
		"options": map[string]any{"locale": "fr", "displayName": "Ada", "redirectTo": "https://app.example.com/welcome"}})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.JSONEq(t, `{"session": null}`, string(r.Body))
	contract(t, "/signup/email-password", "POST", r)

	m := smtp.Wait(t, addr, 1)
	require.Equal(t, "auth@example.com", m.From)
	require.Equal(t, "Vérifiez votre adresse e-mail", m.Subject, "the user's locale picks the template")
	require.Equal(t, "email-verify", m.Header.Get("X-Email-Template"))
	require.Equal(t, "https://app.example.com/welcome", m.Header.Get("X-Redirect-To"))
	ticket := m.Header.Get("X-Ticket")
	require.Regexp(t, `^verifyEmail:[0-9a-f-]{36}$`, ticket)
	link := m.Header.Get("X-Link")
	require.Equal(t, link, m.Link(), "the plain-text body carries the link")
	require.Contains(t, m.HTML, `href="`+strings.ReplaceAll(link, "&", "&amp;")+`"`)
	require.Contains(t, m.Text, "Bonjour Ada")
	lu, err := url.Parse(link)
	require.NoError(t, err)
	require.Equal(t, "/v1/verify", lu.Path)
	require.Equal(t, url.Values{"ticket": {ticket}, "type": {"emailVerify"}, "redirectTo": {"https://app.example.com/welcome"}}, lu.Query())

	// Only a hash of the ticket is stored.
	stored := e.storedTicketOf(addr)
	require.Regexp(t, `^verifyEmail:[0-9a-f]{64}$`, stored)
	require.NotContains(t, stored, strings.TrimPrefix(ticket, "verifyEmail:"))

	require.Equal(t, "unverified-user", e.pwSignIn(addr, password).errorCode(t))

	loc := redirect(t, e.followLink(link))
	require.Equal(t, "app.example.com", loc.Host)
	require.Equal(t, "/welcome", loc.Path)
	require.Equal(t, "emailVerify", loc.Query().Get("type"))
	s := e.mustRefresh(loc.Query().Get("refreshToken"))
	require.True(t, s.User.EmailVerified)
	require.Equal(t, addr, s.User.Email)
	e.hasuraClaims(s.AccessToken)
	require.Equal(t, 200, e.pwSignIn(addr, password).Status)
	require.NotRegexp(t, rawTicket, e.logs.String(), "tickets are never logged")
}

func TestEmailVerifyTicketIsSingleUseTypedAndExpires(t *testing.T) {
	e, smtp := newMailEnv(t, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"})
	addr := email(t)
	r := e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	m := smtp.Wait(t, addr, 1)
	link := m.Link()
	ticket := m.Header.Get("X-Ticket")
	// Without options.redirectTo the link leads to AUTH_CLIENT_URL.
	require.Equal(t, "https://app.example.com", m.Header.Get("X-Redirect-To"))

	verify := func(ticket, typ, redirectTo string) *response {
		q := url.Values{"ticket": {ticket}, "redirectTo": {redirectTo}}
		if typ != "" {
			q.Set("type", typ)
		}
		return e.do("GET", "/v1/verify?"+q.Encode(), nil)
	}

	// A disallowed redirectTo is answered in JSON, never redirected to, and
	// consumes nothing.
	bad := verify(ticket, "emailVerify", "https://evil.example.com/steal")
	require.Equal(t, 400, bad.Status)
	require.Empty(t, bad.Header.Get("Location"))
	require.Equal(t, "redirectTo-not-allowed", bad.errorCode(t))
	contract(t, "/verify", "GET", bad)

	// The wrong type consumes nothing either.
	require.Equal(t, "invalid-ticket", redirectError(t, verify(ticket, "passwordReset", "https://app.example.com")))
	// Tickets of other kinds, or malformed ones.
	for _, other := range []string{"mfaTotp:" + strings.TrimPrefix(ticket, "verifyEmail:"), "verifyEmail:nope", "verifyEmail:" + e.storedTicketOf(addr)[len("verifyEmail:"):], e.storedTicketOf(addr)} {
		require.Equal(t, "invalid-ticket", redirectError(t, verify(other, "", "https://app.example.com")), other)
	}

	loc := redirect(t, e.followLink(link))
	require.NotEmpty(t, loc.Query().Get("refreshToken"))
	// Used: the second click fails, to the same place.
	again := redirect(t, e.followLink(link))
	require.Equal(t, "invalid-ticket", again.Query().Get("error"))
	require.Equal(t, "Invalid ticket", again.Query().Get("errorDescription"))
	require.Equal(t, "app.example.com", again.Host)

	// Expired: a new link, 30 days and a second later.
	addr2 := email(t)
	require.Equal(t, 200, e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr2, "password": password}).Status)
	link2 := smtp.Wait(t, addr2, 1).Link()
	e.clock.Advance(30*24*time.Hour + time.Second)
	require.Equal(t, "invalid-ticket", redirectError(t, e.followLink(link2)))
}

func TestEmailVerifyTwoConcurrentClicksOneWins(t *testing.T) {
	e, smtp := newMailEnv(t, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"})
	addr := email(t)
	require.Equal(t, 200, e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password}).Status)
	path := strings.TrimPrefix(smtp.Wait(t, addr, 1).Link(), authURL)

	const clicks = 4
	locs := make([]string, clicks)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range clicks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rec := httptest.NewRecorder()
			e.srv.Router.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			locs[i] = rec.Header().Get("Location")
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for _, l := range locs {
		u, err := url.Parse(l)
		require.NoError(t, err)
		if u.Query().Get("refreshToken") != "" {
			won++
		} else {
			require.Equal(t, "invalid-ticket", u.Query().Get("error"), l)
		}
	}
	require.Equal(t, 1, won, "exactly one click gets a session: %v", locs)
	var sessions int64
	require.NoError(t, e.db().Raw("SELECT count(*) FROM auth.refresh_tokens rt JOIN auth.users u ON u.id = rt.user_id WHERE u.email = ?", addr).Row().Scan(&sessions))
	require.EqualValues(t, 1, sessions)
}

func TestEmailSendVerificationEmail(t *testing.T) {
	e, smtp := newMailEnv(t, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"})
	addr := email(t)
	require.Equal(t, 200, e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password}).Status)
	first := smtp.Wait(t, addr, 1)

	send := func(body map[string]any) *response {
		r := e.do("POST", "/v1/user/email/send-verification-email", body)
		contract(t, "/user/email/send-verification-email", "POST", r)
		return r
	}
	r := send(map[string]any{"email": addr, "options": map[string]any{"redirectTo": "https://app.example.com/again"}})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, `"OK"`, string(r.Body))
	second := smtp.Wait(t, addr, 2)
	require.Equal(t, "https://app.example.com/again", second.Header.Get("X-Redirect-To"))
	require.NotEqual(t, first.Header.Get("X-Ticket"), second.Header.Get("X-Ticket"))

	// The new link replaced the old one.
	require.Equal(t, "invalid-ticket", redirectError(t, e.followLink(first.Link())))
	require.Equal(t, "/again", redirect(t, e.followLink(second.Link())).Path)

	require.Equal(t, "email-already-verified", send(map[string]any{"email": addr}).errorCode(t))
	require.Equal(t, "invalid-email-password", send(map[string]any{"email": email(t)}).errorCode(t))
	require.Equal(t, "redirectTo-not-allowed", send(map[string]any{"email": addr, "options": map[string]any{"redirectTo": "https://app.example.com.evil.com"}}).errorCode(t))
	require.Equal(t, "invalid-request", send(map[string]any{"email": "not-an-email"}).errorCode(t))
	require.Equal(t, "invalid-request", send(map[string]any{"email": addr, "extra": 1}).errorCode(t))
	require.Len(t, smtp.To(addr), 2)

	// AUTH_CONCEAL_ERRORS: the same "OK" for an unknown email (conceal_test.go).
	concealed, _ := newMailEnv(t, map[string]string{"AUTH_CONCEAL_ERRORS": "true"})
	r = concealed.do("POST", "/v1/user/email/send-verification-email", map[string]any{"email": email(t)})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, `"OK"`, string(r.Body))
}

func TestEmailSMTPDownAnswersClearErrorAndCanBeResent(t *testing.T) {
	e, smtp := newMailEnv(t, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"})
	smtp.SetFailing(true)
	addr := email(t)
	r := e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password})
	require.Equal(t, 500, r.Status)
	require.Equal(t, "internal-server-error", r.errorCode(t))
	require.Contains(t, string(r.Body), "The email could not be sent")
	require.NotContains(t, string(r.Body), "451", "no SMTP detail in the answer")
	require.NotContains(t, string(r.Body), "127.0.0.1")
	contract(t, "/signup/email-password", "POST", r)
	require.Contains(t, e.logs.String(), "email not sent")
	require.Contains(t, e.logs.String(), "451", "the SMTP error is logged")
	require.NotRegexp(t, rawTicket, e.logs.String())

	// The failed sign-up left nothing: once SMTP is back the same sign-up works.
	var n int64
	require.NoError(t, e.db().Raw(`SELECT count(*) FROM auth.users WHERE email = ?`, addr).Scan(&n).Error)
	require.Zero(t, n, "no user row stays behind a failed sign-up")
	smtp.SetFailing(false)
	require.Equal(t, 200, e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password}).Status)
	require.Equal(t, "emailVerify", redirect(t, e.followLink(smtp.Wait(t, addr, 1).Link())).Query().Get("type"))

	// A server that is down (connection refused) is reported the same way;
	// a link asked for again for an existing account fails cleanly too.
	unverified := email(t)
	require.Equal(t, 200, e.do("POST", "/v1/signup/email-password", map[string]any{"email": unverified, "password": password}).Status)
	smtp.Close()
	r = e.do("POST", "/v1/user/email/send-verification-email", map[string]any{"email": email(t)})
	require.Equal(t, "invalid-email-password", r.errorCode(t), "unknown users are refused before any send")
	require.Equal(t, 500, e.do("POST", "/v1/signup/email-password", map[string]any{"email": email(t), "password": password}).Status)
	r = e.do("POST", "/v1/user/email/send-verification-email", map[string]any{"email": unverified})
	require.Equal(t, 500, r.Status)
	require.Contains(t, string(r.Body), "could not be sent")

	// No SMTP configured at all: the same clear answer.
	bare := newEnv(t, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"})
	r = bare.do("POST", "/v1/signup/email-password", map[string]any{"email": email(t), "password": password})
	require.Equal(t, 500, r.Status)
	require.Contains(t, string(r.Body), "could not be sent")
}

func TestEmailChange(t *testing.T) {
	e, smtp := newMailEnv(t, map[string]string{"AUTH_REQUIRE_ELEVATED_CLAIM": "required"})
	old, next := email(t), email(t)
	signedUp := e.signUp(old, map[string]any{"displayName": "Ada"})
	change := func(tok string, body map[string]any) *response {
		r := e.do("POST", "/v1/user/email/change", body, bearer(tok))
		if r.Status != 403 { // elevated-claim-required is nhost's, missing from the contract's enum
			contract(t, "/user/email/change", "POST", r)
		}
		return r
	}

	require.Equal(t, "unauthorized", e.do("POST", "/v1/user/email/change", map[string]any{"newEmail": next}).errorCode(t))
	// A sign-up session is not elevated; a password sign-in is.
	r := change(signedUp.AccessToken, map[string]any{"newEmail": next})
	require.Equal(t, 403, r.Status)
	require.Equal(t, "elevated-claim-required", r.errorCode(t))
	tok := e.signIn(old).AccessToken

	require.Equal(t, "email-already-in-use", change(tok, map[string]any{"newEmail": old}).errorCode(t))
	require.Equal(t, "redirectTo-not-allowed", change(tok, map[string]any{"newEmail": next, "options": map[string]any{"redirectTo": "http://app.example.com"}}).errorCode(t))
	r = change(tok, map[string]any{"newEmail": next, "options": map[string]any{"redirectTo": "https://app.example.com/settings"}})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, `"OK"`, string(r.Body))

	m := smtp.Wait(t, next, 1)
	require.Empty(t, smtp.To(old), "the link goes to the new address only")
	require.Equal(t, "email-confirm-change", m.Header.Get("X-Email-Template"))
	require.Regexp(t, `^emailConfirmChange:`, m.Header.Get("X-Ticket"))
	require.Contains(t, m.Text, next)
	require.Contains(t, m.Text, old)
	// Nothing changed yet.
	require.Equal(t, 200, e.pwSignIn(old, password).Status)
	require.Equal(t, "invalid-email-password", e.pwSignIn(next, password).errorCode(t))

	loc := redirect(t, e.followLink(m.Link()))
	require.Equal(t, "/settings", loc.Path)
	require.Equal(t, "emailConfirmChange", loc.Query().Get("type"))
	s := e.mustRefresh(loc.Query().Get("refreshToken"))
	require.Equal(t, next, s.User.Email)
	require.True(t, s.User.EmailVerified)
	require.Equal(t, 200, e.pwSignIn(next, password).Status)
	require.Equal(t, "invalid-email-password", e.pwSignIn(old, password).errorCode(t))

	// The address must still be free when the link is followed.
	third := email(t)
	r = change(tok, map[string]any{"newEmail": third})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	link := smtp.Wait(t, third, 1).Link()
	e.signUp(third, nil)
	require.Equal(t, "email-already-in-use", redirectError(t, e.followLink(link)))

	// Anonymous users have no email to change (elevation is not even reachable for them).
	plain := newEnv(t, nil)
	var a struct{ Session sessionBody }
	plain.do("POST", "/v1/signin/anonymous", nil).decode(t, &a)
	r = plain.do("POST", "/v1/user/email/change", map[string]any{"newEmail": email(t)}, bearer(a.Session.AccessToken))
	require.Equal(t, "forbidden-anonymous", r.errorCode(t))
}
