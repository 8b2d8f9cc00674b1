package handlers_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/secretbox"
)

const testEncryptionKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// withEncryption encrypts secrets at rest. It also configures an HS256 JWT
// secret: with AUTH_ENCRYPTION_KEY set, the generated signing key this
// package's database shares would be re-sealed under it, and servers of
// other tests, started without the key, could no longer open it.
var withEncryption = map[string]string{
	"AUTH_ENCRYPTION_KEY":       testEncryptionKey,
	"HASURA_GRAPHQL_JWT_SECRET": `{"type":"HS256","key":"mfa-tests-hs256-secret-at-least-32-chars"}`,
}

// mfaConfig turns TOTP enrolment on and encrypts secrets at rest.
var mfaConfig = merge(map[string]string{"AUTH_MFA_ENABLED": "true"}, withEncryption)

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// code is the TOTP code an authenticator app shows at the fake clock's time.
func (e *env) code(secret string) string {
	e.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(e.t, err)
	return c
}

// nextStep moves the clock into the next 30-second step, so the next code is
// a fresh one (a code is accepted once).
func (e *env) nextStep() { e.clock.Advance(30 * time.Second) }

// generateTOTP calls GET /mfa/totp/generate and returns the secret.
func (e *env) generateTOTP(access string) string {
	e.t.Helper()
	r := e.do("GET", "/v1/mfa/totp/generate", nil, bearer(access))
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	contract(e.t, "/mfa/totp/generate", "get", r)
	var g struct{ ImageURL, TOTPSecret string }
	r.decode(e.t, &g)
	return g.TOTPSecret
}

// enableTOTP enrols and activates TOTP for the holder of access; returns the secret.
func (e *env) enableTOTP(access string) string {
	e.t.Helper()
	secret := e.generateTOTP(access)
	r := e.do("POST", "/v1/user/mfa", map[string]any{"code": e.code(secret), "activeMfaType": "totp"}, bearer(access))
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	contract(e.t, "/user/mfa", "post", r)
	require.Equal(e.t, `"OK"`, string(r.Body))
	e.nextStep()
	return secret
}

// mfaTicket signs in with the password and expects a TOTP challenge.
func (e *env) mfaTicket(addr string) string {
	e.t.Helper()
	r := e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password})
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	contract(e.t, "/signin/email-password", "post", r)
	var p struct {
		Session *sessionBody
		MFA     *struct{ Ticket string }
	}
	r.decode(e.t, &p)
	require.Nil(e.t, p.Session, "%s", r.Body)
	require.NotNil(e.t, p.MFA, "%s", r.Body)
	require.True(e.t, strings.HasPrefix(p.MFA.Ticket, "mfaTotp:"), p.MFA.Ticket)
	return p.MFA.Ticket
}

func (e *env) signInTOTP(ticket, code string) *response {
	e.t.Helper()
	r := e.do("POST", "/v1/signin/mfa/totp", map[string]any{"ticket": ticket, "otp": code})
	contract(e.t, "/signin/mfa/totp", "post", r)
	return r
}

func (e *env) mustSignInTOTP(ticket, code string) sessionBody {
	e.t.Helper()
	r := e.signInTOTP(ticket, code)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var p struct{ Session *sessionBody }
	r.decode(e.t, &p)
	require.NotNil(e.t, p.Session)
	return *p.Session
}

func (e *env) user(id string) models.User {
	e.t.Helper()
	var u models.User
	require.NoError(e.t, e.db().Where("id = ?", id).Take(&u).Error)
	return u
}

func (e *env) totpState(id string) models.TOTPState {
	e.t.Helper()
	var st models.TOTPState
	require.NoError(e.t, e.db().Where("user_id = ?", id).Take(&st).Error)
	return st
}

func TestMFAEnableSignInDisable(t *testing.T) {
	e := newEnv(t, mfaConfig)
	addr := email(t)
	up := e.signUp(addr, nil)

	r := e.do("GET", "/v1/mfa/totp/generate", nil, bearer(up.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/mfa/totp/generate", "get", r)
	var g struct{ ImageURL, TOTPSecret string }
	r.decode(t, &g)
	require.Regexp(t, `^[A-Z2-7]{32}$`, g.TOTPSecret, "20 random bytes in base32")
	require.True(t, strings.HasPrefix(g.ImageURL, "data:image/png;base64,"))
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(g.ImageURL, "data:image/png;base64,"))
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(raw))
	require.NoError(t, err, "a real PNG")
	require.Equal(t, 256, img.Bounds().Dx())

	// At rest: sealed under AUTH_ENCRYPTION_KEY, bound to the user; not yet active.
	u := e.user(up.User.ID)
	require.NotNil(t, u.TOTPSecret)
	require.True(t, secretbox.IsSealed(*u.TOTPSecret), *u.TOTPSecret)
	require.NotContains(t, *u.TOTPSecret, g.TOTPSecret)
	require.Nil(t, u.ActiveMFAType)

	// Generating again before activation replaces the pending secret.
	secret := e.generateTOTP(up.AccessToken)
	require.NotEqual(t, g.TOTPSecret, secret)
	r = e.do("POST", "/v1/user/mfa", map[string]any{"code": e.code(g.TOTPSecret), "activeMfaType": "totp"}, bearer(up.AccessToken))
	require.Equal(t, "invalid-totp", r.errorCode(t), "the replaced secret's code")
	r = e.do("POST", "/v1/user/mfa", map[string]any{"code": e.code(secret), "activeMfaType": "totp"}, bearer(up.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, `"OK"`, string(r.Body))
	e.nextStep()

	r = e.do("GET", "/v1/user", nil, bearer(up.AccessToken))
	var ub userBody
	r.decode(t, &ub)
	require.NotNil(t, ub.ActiveMfaType)
	require.Equal(t, "totp", *ub.ActiveMfaType)

	// The password alone no longer signs in.
	ticket := e.mfaTicket(addr)
	u = e.user(up.User.ID)
	require.NotNil(t, u.Ticket)
	require.NotContains(t, *u.Ticket, strings.TrimPrefix(ticket, "mfaTotp:"), "only the ticket's hash is stored")
	require.True(t, strings.HasPrefix(*u.Ticket, "mfaTotp:"))
	require.WithinDuration(t, e.clock.Now().Add(5*time.Minute), u.TicketExpiresAt, time.Second)

	s := e.mustSignInTOTP(ticket, e.code(secret))
	require.Equal(t, up.User.ID, s.User.ID)
	require.Equal(t, "totp", *s.User.ActiveMfaType)
	c := e.hasuraClaims(s.AccessToken)
	require.Equal(t, up.User.ID, c.SessionVariables["x-hasura-auth-elevated"], "a completed TOTP sign-in elevates")
	require.Nil(t, e.user(up.User.ID).Ticket, "ticket consumed")

	// The ticket works once.
	e.nextStep()
	r = e.signInTOTP(ticket, e.code(secret))
	require.Equal(t, 401, r.Status)
	require.Equal(t, "invalid-ticket", r.errorCode(t))

	// The session is an ordinary one.
	e.clock.Advance(time.Minute)
	e.mustRefresh(s.RefreshToken)

	// Deactivate with a code: the secret goes too.
	e.nextStep()
	r = e.do("POST", "/v1/user/mfa", map[string]any{"code": e.code(secret), "activeMfaType": ""}, bearer(s.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/user/mfa", "post", r)
	u = e.user(up.User.ID)
	require.Nil(t, u.ActiveMFAType)
	require.Nil(t, u.TOTPSecret)

	r = e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var p struct {
		Session *sessionBody
		MFA     any
	}
	r.decode(t, &p)
	require.NotNil(t, p.Session)
	require.Nil(t, p.MFA)
}

func TestMFAWrongAndReplayedCode(t *testing.T) {
	e := newEnv(t, mfaConfig)
	addr := email(t)
	up := e.signUp(addr, nil)
	secret := e.enableTOTP(up.AccessToken)

	ticket := e.mfaTicket(addr)
	r := e.signInTOTP(ticket, "000000")
	if e.code(secret) == "000000" { // one chance in a million
		e.nextStep()
		r = e.signInTOTP(ticket, "000000")
	}
	require.Equal(t, 401, r.Status)
	require.Equal(t, "invalid-totp", r.errorCode(t))
	require.Equal(t, 1, e.totpState(up.User.ID).Failures)

	// A typo does not burn the ticket.
	code := e.code(secret)
	e.mustSignInTOTP(ticket, code)
	require.Equal(t, 0, e.totpState(up.User.ID).Failures, "success resets the count")

	// The same code again, same step, with a fresh ticket: refused.
	ticket = e.mfaTicket(addr)
	r = e.signInTOTP(ticket, code)
	require.Equal(t, 401, r.Status)
	require.Equal(t, "invalid-totp", r.errorCode(t))
	// Ten seconds on, still within the skew: still refused.
	e.clock.Advance(10 * time.Second)
	require.Equal(t, "invalid-totp", e.signInTOTP(ticket, code).errorCode(t))

	// The next step's code works.
	e.nextStep()
	e.mustSignInTOTP(ticket, e.code(secret))

	// One step of skew: the previous step's code is still accepted (if not used).
	e.nextStep()
	prev := e.code(secret)
	e.nextStep()
	ticket = e.mfaTicket(addr)
	e.mustSignInTOTP(ticket, prev)
	// Two steps back is too old.
	e.nextStep()
	old := e.code(secret)
	e.nextStep()
	e.nextStep()
	ticket = e.mfaTicket(addr)
	require.Equal(t, "invalid-totp", e.signInTOTP(ticket, old).errorCode(t))
}

func TestMFALockout(t *testing.T) {
	e := newEnv(t, mfaConfig)
	addr := email(t)
	up := e.signUp(addr, nil)
	secret := e.enableTOTP(up.AccessToken)
	wrong := func() string {
		if e.code(secret) == "123456" {
			return "654321"
		}
		return "123456"
	}

	// Four wrong codes, then the window passes: the count starts over.
	ticket := e.mfaTicket(addr)
	for range 4 {
		require.Equal(t, "invalid-totp", e.signInTOTP(ticket, wrong()).errorCode(t))
	}
	e.clock.Advance(5 * time.Minute)
	ticket = e.mfaTicket(addr)
	for range 4 {
		require.Equal(t, "invalid-totp", e.signInTOTP(ticket, wrong()).errorCode(t))
	}
	require.Nil(t, e.totpState(up.User.ID).LockedUntil)

	// The fifth within the window locks TOTP: even the right code fails.
	require.Equal(t, "invalid-totp", e.signInTOTP(ticket, wrong()).errorCode(t))
	st := e.totpState(up.User.ID)
	require.NotNil(t, st.LockedUntil)
	require.WithinDuration(t, e.clock.Now().Add(15*time.Minute), *st.LockedUntil, time.Second)
	r := e.signInTOTP(ticket, e.code(secret))
	require.Equal(t, 401, r.Status)
	require.Equal(t, "invalid-totp", r.errorCode(t))
	require.Contains(t, e.logs.String(), "TOTP locked")
	require.NotContains(t, e.logs.String(), secret)

	// Deactivating needs a code too: the lock holds there as well.
	r = e.do("POST", "/v1/user/mfa", map[string]any{"code": e.code(secret), "activeMfaType": ""}, bearer(up.AccessToken))
	require.Equal(t, "invalid-totp", r.errorCode(t))

	e.clock.Advance(14 * time.Minute)
	ticket = e.mfaTicket(addr)
	require.Equal(t, "invalid-totp", e.signInTOTP(ticket, e.code(secret)).errorCode(t), "still locked")

	e.clock.Advance(time.Minute)
	e.mustSignInTOTP(ticket, e.code(secret))
	st = e.totpState(up.User.ID)
	require.Equal(t, 0, st.Failures)
}

func TestMFATicketExpiryAndSingleUse(t *testing.T) {
	e := newEnv(t, mfaConfig)
	addr := email(t)
	up := e.signUp(addr, nil)
	secret := e.enableTOTP(up.AccessToken)

	ticket := e.mfaTicket(addr)
	e.clock.Advance(5 * time.Minute)
	r := e.signInTOTP(ticket, e.code(secret))
	require.Equal(t, 401, r.Status)
	require.Equal(t, "invalid-ticket", r.errorCode(t), "tickets live 5 minutes")

	ticket = e.mfaTicket(addr)
	e.clock.Advance(4*time.Minute + 59*time.Second)
	e.mustSignInTOTP(ticket, e.code(secret))

	// A new sign-in replaces the previous ticket.
	e.nextStep()
	first := e.mfaTicket(addr)
	second := e.mfaTicket(addr)
	require.Equal(t, "invalid-ticket", e.signInTOTP(first, e.code(secret)).errorCode(t))

	// Two requests racing with the same ticket and code: one session.
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses []int
	)
	body := `{"ticket":"` + second + `","otp":"` + e.code(secret) + `"}`
	before := e.liveSessions(up.User.ID)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("POST", "/v1/signin/mfa/totp", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			e.srv.Router.ServeHTTP(rec, req)
			mu.Lock()
			statuses = append(statuses, rec.Code)
			mu.Unlock()
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == http.StatusOK {
			ok++
		} else {
			require.Equal(t, 401, s)
		}
	}
	require.Equal(t, 1, ok, "statuses %v", statuses)
	require.Equal(t, before+1, e.liveSessions(up.User.ID))
}

func TestMFAErrors(t *testing.T) {
	e := newEnv(t, mfaConfig)
	off := newEnv(t, nil) // AUTH_MFA_ENABLED=false

	plain := e.signUp(email(t), nil)
	pending := e.signUp(email(t), nil)
	pendingSecret := e.generateTOTP(pending.AccessToken)
	activeAddr := email(t)
	active := e.signUp(activeAddr, nil)
	activeSecret := e.enableTOTP(active.AccessToken)
	anon := e.anonymous()

	// Users whose state changes after they got a ticket.
	goneAddr, noSecretAddr, disabledAddr := email(t), email(t), email(t)
	gone, noSecret, disabled := e.signUp(goneAddr, nil), e.signUp(noSecretAddr, nil), e.signUp(disabledAddr, nil)
	for _, s := range []sessionBody{gone, noSecret, disabled} {
		e.enableTOTP(s.AccessToken)
	}
	goneTicket, noSecretTicket, disabledTicket := e.mfaTicket(goneAddr), e.mfaTicket(noSecretAddr), e.mfaTicket(disabledAddr)
	require.NoError(t, e.db().Model(&models.User{}).Where("id = ?", gone.User.ID).Update("active_mfa_type", nil).Error)
	require.NoError(t, e.db().Model(&models.User{}).Where("id = ?", noSecret.User.ID).Update("totp_secret", nil).Error)
	require.NoError(t, e.db().Model(&models.User{}).Where("id = ?", disabled.User.ID).Update("disabled", true).Error)
	activeTicket := e.mfaTicket(activeAddr)

	type tc struct {
		name         string
		e            *env
		method, path string
		body         any
		headers      []header
		status       int
		code         string
	}
	cases := []tc{
		{"generate: no bearer", e, "GET", "/mfa/totp/generate", nil, nil, 401, "unauthorized"},
		{"generate: mfa disabled", off, "GET", "/mfa/totp/generate", nil, []header{bearer(off.signUp(email(t), nil).AccessToken)}, 409, "disabled-endpoint"},
		{"generate: already active", e, "GET", "/mfa/totp/generate", nil, []header{bearer(active.AccessToken)}, 400, "totp-already-active"},
		{"generate: anonymous", e, "GET", "/mfa/totp/generate", nil, []header{bearer(anon.AccessToken)}, 403, "forbidden-anonymous"},

		{"user/mfa: no bearer", e, "POST", "/user/mfa", map[string]any{"code": "123456", "activeMfaType": "totp"}, nil, 401, "unauthorized"},
		{"user/mfa: missing code", e, "POST", "/user/mfa", map[string]any{"activeMfaType": "totp"}, []header{bearer(pending.AccessToken)}, 400, "invalid-request"},
		{"user/mfa: unknown type", e, "POST", "/user/mfa", map[string]any{"code": "123456", "activeMfaType": "sms"}, []header{bearer(pending.AccessToken)}, 400, "mfa-type-not-found"},
		{"user/mfa: unknown field", e, "POST", "/user/mfa", `{"code": "123456", "remember": true}`, []header{bearer(pending.AccessToken)}, 400, "invalid-request"},
		{"user/mfa: activate without secret", e, "POST", "/user/mfa", map[string]any{"code": "123456", "activeMfaType": "totp"}, []header{bearer(plain.AccessToken)}, 400, "no-totp-secret"},
		{"user/mfa: activate twice", e, "POST", "/user/mfa", map[string]any{"code": e.code(activeSecret), "activeMfaType": "totp"}, []header{bearer(active.AccessToken)}, 400, "totp-already-active"},
		{"user/mfa: activate wrong code", e, "POST", "/user/mfa", map[string]any{"code": "12345", "activeMfaType": "totp"}, []header{bearer(pending.AccessToken)}, 401, "invalid-totp"},
		{"user/mfa: activate with mfa disabled", off, "POST", "/user/mfa", map[string]any{"code": "123456", "activeMfaType": "totp"}, []header{bearer(off.signUp(email(t), nil).AccessToken)}, 409, "disabled-endpoint"},
		{"user/mfa: deactivate when inactive", e, "POST", "/user/mfa", map[string]any{"code": e.code(pendingSecret), "activeMfaType": ""}, []header{bearer(pending.AccessToken)}, 401, "disabled-mfa-totp"},
		{"user/mfa: deactivate, type omitted, inactive", e, "POST", "/user/mfa", map[string]any{"code": "123456"}, []header{bearer(plain.AccessToken)}, 401, "disabled-mfa-totp"},
		{"user/mfa: deactivate wrong code", e, "POST", "/user/mfa", map[string]any{"code": "abcdef", "activeMfaType": ""}, []header{bearer(active.AccessToken)}, 401, "invalid-totp"},

		{"signin/mfa/totp: missing otp", e, "POST", "/signin/mfa/totp", map[string]any{"ticket": activeTicket}, nil, 400, "invalid-request"},
		{"signin/mfa/totp: missing ticket", e, "POST", "/signin/mfa/totp", map[string]any{"otp": "123456"}, nil, 400, "invalid-request"},
		{"signin/mfa/totp: malformed", e, "POST", "/signin/mfa/totp", `{"ticket":`, nil, 400, "invalid-request"},
		{"signin/mfa/totp: unknown ticket", e, "POST", "/signin/mfa/totp", map[string]any{"ticket": "mfaTotp:7e5f2a36-7d49-4d0e-9a4b-2f1c3b1a0c11", "otp": "123456"}, nil, 401, "invalid-ticket"},
		{"signin/mfa/totp: not a uuid", e, "POST", "/signin/mfa/totp", map[string]any{"ticket": "mfaTotp:nope", "otp": "123456"}, nil, 401, "invalid-ticket"},
		{"signin/mfa/totp: other ticket type", e, "POST", "/signin/mfa/totp", map[string]any{"ticket": "verifyEmail:" + strings.TrimPrefix(activeTicket, "mfaTotp:"), "otp": "123456"}, nil, 401, "invalid-ticket"},
		{"signin/mfa/totp: stored hash as ticket", e, "POST", "/signin/mfa/totp", map[string]any{"ticket": *e.user(active.User.ID).Ticket, "otp": e.code(activeSecret)}, nil, 401, "invalid-ticket"},
		{"signin/mfa/totp: totp turned off meanwhile", e, "POST", "/signin/mfa/totp", map[string]any{"ticket": goneTicket, "otp": "123456"}, nil, 401, "disabled-mfa-totp"},
		{"signin/mfa/totp: secret lost", e, "POST", "/signin/mfa/totp", map[string]any{"ticket": noSecretTicket, "otp": "123456"}, nil, 400, "no-totp-secret"},
		{"signin/mfa/totp: disabled user", e, "POST", "/signin/mfa/totp", map[string]any{"ticket": disabledTicket, "otp": "123456"}, nil, 401, "disabled-user"},
		{"signin/mfa/totp: wrong code", e, "POST", "/signin/mfa/totp", map[string]any{"ticket": activeTicket, "otp": "12a456"}, nil, 401, "invalid-totp"},
	}
	contractPath := map[string]string{"/mfa/totp/generate": "get", "/user/mfa": "post", "/signin/mfa/totp": "post"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.e.do(c.method, "/v1"+c.path, c.body, c.headers...)
			require.Equal(t, c.status, r.Status, "%s", r.Body)
			require.Equal(t, c.code, r.errorCode(t))
			contract(t, c.path, contractPath[c.path], r)
		})
	}
	// Nothing above activated anything or burnt the live ticket.
	require.Nil(t, e.user(pending.User.ID).ActiveMFAType)
	require.Equal(t, "totp", *e.user(active.User.ID).ActiveMFAType)
	e.mustSignInTOTP(activeTicket, e.code(activeSecret))
}

func TestMFASecretsAtRest(t *testing.T) {
	// Without AUTH_ENCRYPTION_KEY secrets are stored as hasura-auth stores them.
	plainEnv := newEnv(t, map[string]string{"AUTH_MFA_ENABLED": "true"})
	addr := email(t)
	up := plainEnv.signUp(addr, nil)
	secret := plainEnv.enableTOTP(up.AccessToken)
	require.Equal(t, secret, *plainEnv.user(up.User.ID).TOTPSecret)

	// Once a key is set, that plaintext secret still works and is sealed on use.
	e := newEnv(t, mfaConfig)
	e.clock.Advance(plainEnv.clock.Now().Sub(e.clock.Now()) + 30*time.Second)
	e.mustSignInTOTP(e.mfaTicket(addr), e.code(secret))
	stored := *e.user(up.User.ID).TOTPSecret
	require.True(t, secretbox.IsSealed(stored), stored)

	// Sealed but no key configured: an internal error, logged without the secret.
	e.nextStep()
	r := plainEnv.do("POST", "/v1/signin/mfa/totp", map[string]any{"ticket": plainEnv.mfaTicket(addr), "otp": e.code(secret)})
	require.Equal(t, 500, r.Status, "%s", r.Body)
	require.Equal(t, "internal-server-error", r.errorCode(t))
	require.Contains(t, plainEnv.logs.String(), "AUTH_ENCRYPTION_KEY is not set")
	require.NotContains(t, plainEnv.logs.String(), secret)
}

// Turning AUTH_MFA_ENABLED off stops enrolment but never drops a factor a
// user has: sign-in still asks for the code, and the user can deactivate.
func TestMFAFlagOffKeepsActiveFactor(t *testing.T) {
	on := newEnv(t, mfaConfig)
	addr := email(t)
	up := on.signUp(addr, nil)
	secret := on.enableTOTP(up.AccessToken)

	off := newEnv(t, withEncryption)
	off.clock.Advance(on.clock.Now().Sub(off.clock.Now()))
	s := off.mustSignInTOTP(off.mfaTicket(addr), off.code(secret))
	r := off.do("GET", "/v1/mfa/totp/generate", nil, bearer(s.AccessToken))
	require.Equal(t, "disabled-endpoint", r.errorCode(t))
	off.nextStep()
	r = off.do("POST", "/v1/user/mfa", map[string]any{"code": off.code(secret), "activeMfaType": ""}, bearer(s.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Nil(t, off.user(up.User.ID).ActiveMFAType)
}
