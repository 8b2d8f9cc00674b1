package handlers_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func (e *env) magicLink(addr string, options map[string]any) *response {
	e.t.Helper()
	body := map[string]any{"email": addr}
	if options != nil {
		body["options"] = options
	}
	r := e.do("POST", "/v1/signin/passwordless/email", body)
	contract(e.t, "/signin/passwordless/email", "POST", r)
	return r
}

func (e *env) otpRequest(addr string) *response {
	e.t.Helper()
	r := e.do("POST", "/v1/signin/otp/email", map[string]any{"email": addr})
	contract(e.t, "/signin/otp/email", "POST", r)
	return r
}

func (e *env) otpVerify(addr, code string) *response {
	e.t.Helper()
	r := e.do("POST", "/v1/signin/otp/email/verify", map[string]any{"email": addr, "otp": code})
	contract(e.t, "/signin/otp/email/verify", "POST", r)
	return r
}

func TestPasswordlessMagicLinkCreatesTheUserAndSignsIn(t *testing.T) {
	off := newEnv(t, nil)
	require.Equal(t, "disabled-endpoint", off.magicLink(email(t), nil).errorCode(t))

	e, smtp := newMailEnv(t, map[string]string{"AUTH_EMAIL_PASSWORDLESS_ENABLED": "true", "AUTH_ACCESS_CONTROL_BLOCKED_EMAIL_DOMAINS": "blocked.example.com"})
	addr := email(t)
	r := e.magicLink(addr, map[string]any{"displayName": "Grace", "locale": "fr", "metadata": map[string]any{"plan": "pro"},
		"redirectTo": "https://app.example.com/in", "defaultRole": "editor", "allowedRoles": []string{"editor", "me"}})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, `"OK"`, string(r.Body))

	m := smtp.Wait(t, addr, 1)
	require.Equal(t, "signin-passwordless", m.Header.Get("X-Email-Template"))
	require.Equal(t, "Votre lien de connexion", m.Subject)
	require.Regexp(t, `^passwordlessEmail:[0-9a-f-]{36}$`, m.Header.Get("X-Ticket"))
	require.Contains(t, m.Link(), "type=signinPasswordless")
	require.Contains(t, m.Text, "Bonjour Grace")
	// The account exists, without a password, unverified until the link is followed.
	require.Equal(t, "invalid-email-password", e.pwSignIn(addr, password).errorCode(t))

	loc := redirect(t, e.followLink(m.Link()))
	require.Equal(t, "/in", loc.Path)
	require.Equal(t, "signinPasswordless", loc.Query().Get("type"))
	s := e.mustRefresh(loc.Query().Get("refreshToken"))
	require.Equal(t, addr, s.User.Email)
	require.True(t, s.User.EmailVerified)
	require.Equal(t, "Grace", s.User.DisplayName)
	require.Equal(t, "fr", s.User.Locale)
	require.Equal(t, "editor", s.User.DefaultRole)
	require.Equal(t, map[string]any{"plan": "pro"}, s.User.Metadata)
	require.Equal(t, "editor", e.hasuraClaims(s.AccessToken).DefaultRole)
	require.Equal(t, "invalid-ticket", redirectError(t, e.followLink(m.Link())))

	// A second link for the same, now existing, user.
	require.Equal(t, 200, e.magicLink(addr, nil).Status)
	again := e.mustRefresh(redirect(t, e.followLink(smtp.Wait(t, addr, 2).Link())).Query().Get("refreshToken"))
	require.Equal(t, s.User.ID, again.User.ID)

	// Email-password users can use links too.
	pwUser := email(t)
	e.signUp(pwUser, nil)
	require.Equal(t, 200, e.magicLink(pwUser, nil).Status)
	require.Equal(t, "signinPasswordless", redirect(t, e.followLink(smtp.Wait(t, pwUser, 1).Link())).Query().Get("type"))

	require.Equal(t, "invalid-email-password", e.magicLink("x@blocked.example.com", nil).errorCode(t))
	require.Equal(t, "redirectTo-not-allowed", e.magicLink(email(t), map[string]any{"redirectTo": "https://app.example.com@evil.example.com"}).errorCode(t))
	require.Equal(t, "locale-not-allowed", e.magicLink(email(t), map[string]any{"locale": "de"}).errorCode(t))

	closed, smtp2 := newMailEnv(t, map[string]string{"AUTH_EMAIL_PASSWORDLESS_ENABLED": "true", "AUTH_DISABLE_SIGNUP": "true"})
	r = closed.magicLink(email(t), nil)
	require.Equal(t, 403, r.Status)
	require.Equal(t, "signup-disabled", r.errorCode(t))
	existing := email(t)
	newEnv(t, nil).signUp(existing, nil) // same database, sign-up open
	require.Equal(t, 200, closed.magicLink(existing, nil).Status, "existing users still get links")
	smtp2.Wait(t, existing, 1)
}

func TestPasswordlessConcurrentFirstRequestsShareOneUser(t *testing.T) {
	e, smtp := newMailEnv(t, map[string]string{"AUTH_EMAIL_PASSWORDLESS_ENABLED": "true"})
	addr := email(t)
	const n = 3
	status := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("POST", "/v1/signin/passwordless/email", strings.NewReader(fmt.Sprintf(`{"email":%q}`, addr)))
			req.Header.Set("Content-Type", "application/json")
			e.srv.Router.ServeHTTP(rec, req)
			status[i] = rec.Code
		}()
	}
	wg.Wait()
	require.Equal(t, []int{200, 200, 200}, status)
	var users int64
	require.NoError(t, e.db().Raw("SELECT count(*) FROM auth.users WHERE email = ?", addr).Row().Scan(&users))
	require.EqualValues(t, 1, users)
	smtp.Wait(t, addr, n)
}

func TestOTPEmailSignIn(t *testing.T) {
	off := newEnv(t, nil)
	require.Equal(t, "disabled-endpoint", off.otpRequest(email(t)).errorCode(t))
	require.Equal(t, "disabled-endpoint", off.otpVerify(email(t), "123456").errorCode(t))

	e, smtp := newMailEnv(t, map[string]string{"AUTH_OTP_EMAIL_ENABLED": "true"})
	addr := email(t)
	require.Equal(t, 200, e.otpRequest(addr).Status)
	m := smtp.Wait(t, addr, 1)
	code := m.Header.Get("X-Ticket")
	require.Regexp(t, `^[0-9]{6}$`, code)
	require.Equal(t, "signin-otp", m.Header.Get("X-Email-Template"))
	require.Empty(t, m.Header.Get("X-Link"), "a code, not a link")
	require.Contains(t, m.Text, code)
	require.Contains(t, m.HTML, code)
	require.Equal(t, "Your sign-in code", m.Subject)

	var stored string
	require.NoError(t, e.db().Raw("SELECT otp_hash FROM auth.users WHERE email = ?", addr).Row().Scan(&stored))
	require.True(t, strings.HasPrefix(stored, "$2"), "bcrypt, as hasura-auth stores it")
	require.NotContains(t, stored, code)

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	r := e.otpVerify(addr, wrong)
	require.Equal(t, 400, r.Status)
	require.Equal(t, "invalid-otp", r.errorCode(t))
	require.Equal(t, "invalid-otp", e.otpVerify(email(t), code).errorCode(t), "unknown emails look the same")
	require.Equal(t, "invalid-otp", e.otpVerify(addr, "12345").errorCode(t))

	r = e.otpVerify(addr, code)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var p struct{ Session *sessionBody }
	r.decode(t, &p)
	require.NotNil(t, p.Session)
	require.Equal(t, addr, p.Session.User.Email)
	require.True(t, p.Session.User.EmailVerified)
	claims := e.hasuraClaims(p.Session.AccessToken)
	require.Equal(t, p.Session.User.ID, claims.SessionVariables["x-hasura-auth-elevated"], "a code proves what a password does")
	require.Equal(t, 200, e.refresh(p.Session.RefreshToken).Status)
	require.Equal(t, "invalid-otp", e.otpVerify(addr, code).errorCode(t), "single use")

	// Expired after 10 minutes.
	require.Equal(t, 200, e.otpRequest(addr).Status)
	late := smtp.Wait(t, addr, 2).Header.Get("X-Ticket")
	e.clock.Advance(10*time.Minute + time.Second)
	require.Equal(t, "invalid-otp", e.otpVerify(addr, late).errorCode(t))

	// Five wrong guesses burn the code; a new one works.
	require.Equal(t, 200, e.otpRequest(addr).Status)
	burned := smtp.Wait(t, addr, 3).Header.Get("X-Ticket")
	guess := "999999"
	if burned == guess {
		guess = "888888"
	}
	for i := 1; i <= 5; i++ {
		r := e.otpVerify(addr, guess)
		require.Equal(t, "invalid-otp", r.errorCode(t))
		if i == 5 {
			require.Contains(t, string(r.Body), "Too many wrong codes")
		}
	}
	require.Equal(t, "invalid-otp", e.otpVerify(addr, burned).errorCode(t), "burned: even the right code fails")
	require.Equal(t, 200, e.otpRequest(addr).Status)
	fresh := smtp.Wait(t, addr, 4).Header.Get("X-Ticket")
	require.Equal(t, 200, e.otpVerify(addr, fresh).Status)

	// Wrong guesses against one code do not carry over to the next.
	require.Equal(t, 200, e.otpRequest(addr).Status)
	next := smtp.Wait(t, addr, 5).Header.Get("X-Ticket")
	for range 4 {
		g := "999999"
		if next == g {
			g = "888888"
		}
		require.Equal(t, "invalid-otp", e.otpVerify(addr, g).errorCode(t))
	}
	require.Equal(t, 200, e.otpRequest(addr).Status)
	require.Equal(t, 200, e.otpVerify(addr, smtp.Wait(t, addr, 6).Header.Get("X-Ticket")).Status)
}

func TestPasswordlessDeanonymize(t *testing.T) {
	off := newEnv(t, map[string]string{"AUTH_ANONYMOUS_USERS_ENABLED": "true"})
	anon := off.anonymous()
	r := off.do("POST", "/v1/user/deanonymize", map[string]any{"signInMethod": "passwordless", "email": email(t)}, bearer(anon.AccessToken))
	require.Equal(t, "disabled-endpoint", r.errorCode(t))

	e, smtp := newMailEnv(t, map[string]string{"AUTH_EMAIL_PASSWORDLESS_ENABLED": "true"})
	anon = e.anonymous()
	addr := email(t)
	r = e.do("POST", "/v1/user/deanonymize", map[string]any{"signInMethod": "passwordless", "email": addr,
		"options": map[string]any{"displayName": "Ada", "locale": "fr"}}, bearer(anon.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/user/deanonymize", "POST", r)
	require.Equal(t, 401, e.refresh(anon.RefreshToken).Status, "the anonymous sessions end")

	m := smtp.Wait(t, addr, 1)
	require.Equal(t, "signin-passwordless", m.Header.Get("X-Email-Template"))
	require.Contains(t, m.Text, "Bonjour Ada")
	s := e.mustRefresh(redirect(t, e.followLink(m.Link())).Query().Get("refreshToken"))
	require.Equal(t, anon.User.ID, s.User.ID, "the same user")
	require.False(t, s.User.IsAnonymous)
	require.True(t, s.User.EmailVerified)
	require.Equal(t, "user", s.User.DefaultRole)
	require.Equal(t, "false", e.hasuraClaims(s.AccessToken).SessionVariables["x-hasura-user-is-anonymous"])
}

func TestEmailDeanonymizeWithPasswordMailsVerification(t *testing.T) {
	e, smtp := newMailEnv(t, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"})
	anon := e.anonymous()
	addr := email(t)
	r := e.do("POST", "/v1/user/deanonymize", map[string]any{"signInMethod": "email-password", "email": addr, "password": password}, bearer(anon.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, "unverified-user", e.pwSignIn(addr, password).errorCode(t))
	m := smtp.Wait(t, addr, 1)
	require.Equal(t, "email-verify", m.Header.Get("X-Email-Template"))
	redirect(t, e.followLink(m.Link()))
	require.Equal(t, anon.User.ID, e.signIn(addr).User.ID)
}
