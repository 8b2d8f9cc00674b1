package handlers_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/sms/smstest"
)

// Sign-in by SMS through the router, on PostgreSQL, with local servers in
// the shapes of Twilio's Messages and Verify APIs and Modica's gateway.

var phoneSeq atomic.Int64

// phoneNumber is a valid New Zealand mobile number no other test uses.
func phoneNumber() string { return fmt.Sprintf("+64219%06d", phoneSeq.Add(1)) }

// spaced writes an E.164 NZ mobile number as people type it: +64 21 9xx xxxx.
func spaced(e164 string) string { return e164[:3] + " " + e164[3:5] + " " + e164[5:8] + " " + e164[8:] }

// smsFake is a fake provider and what a test reads from it.
type smsFake struct {
	name   string
	twilio *smstest.Twilio // nil for Modica
	vars   map[string]string
	// code is the last code sent to the number ("" when none).
	code func(to string) string
	// sent counts the messages (Verify: verifications) accepted.
	sent func() int
	// faults of the server behind it.
	faults interface {
		SetOutage(bool)
		SetDelay(time.Duration)
		RejectNumber(string)
	}
}

var codePattern = regexp.MustCompile(`\d{6,10}`)

// lastCode is the code in the last of msgs sent to number.
func lastCode[M any](msgs []M, number string, text func(M) (to, body string)) string {
	code := ""
	for _, m := range msgs {
		if to, body := text(m); to == number {
			code = codePattern.FindString(body)
		}
	}
	return code
}

// twilioVars point the server at tw, one base URL serving both of Twilio's
// APIs; service is the Messaging Service or the Verify service.
func twilioVars(tw *smstest.Twilio, service string) map[string]string {
	return map[string]string{"AUTH_SMS_PROVIDER": "twilio", "AUTH_SMS_TWILIO_ACCOUNT_SID": tw.AccountSID,
		"AUTH_SMS_TWILIO_AUTH_TOKEN": tw.AuthToken, "AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID": service,
		"AUTH_SMS_TWILIO_API_URL": tw.URL, "AUTH_SMS_TWILIO_VERIFY_URL": tw.URL}
}

func twilioMessages(t testing.TB) *smsFake {
	tw := smstest.NewTwilio(t)
	return &smsFake{name: "twilio messages", faults: tw, twilio: tw, vars: twilioVars(tw, tw.MessagingSID),
		code: func(to string) string {
			return lastCode(tw.Messages(), to, func(m smstest.TwilioMessage) (string, string) { return m.To, m.Body })
		},
		sent: func() int { return len(tw.Messages()) },
	}
}

func twilioVerify(t testing.TB) *smsFake {
	tw := smstest.NewTwilio(t)
	return &smsFake{name: "twilio verify", faults: tw, twilio: tw, vars: twilioVars(tw, tw.VerifyServiceSID),
		code: tw.VerifyCode, sent: func() int { return len(tw.Verifications()) }}
}

func modica(t testing.TB) *smsFake {
	m := smstest.NewModica(t)
	return &smsFake{name: "modica", faults: m,
		vars: map[string]string{
			"AUTH_SMS_PROVIDER": "modica", "AUTH_SMS_MODICA_USERNAME": m.Username, "AUTH_SMS_MODICA_PASSWORD": m.Password,
			"AUTH_SMS_MODICA_API_URL": m.URL,
		},
		code: func(to string) string {
			return lastCode(m.Messages(), to, func(m smstest.ModicaMessage) (string, string) { return m.Destination, m.Content })
		},
		sent: func() int { return len(m.Messages()) },
	}
}

var smsProviders = []func(testing.TB) *smsFake{twilioMessages, twilioVerify, modica}

// newSMSEnv is a server with SMS sign-in on, sending through f.
func newSMSEnv(t testing.TB, f *smsFake, overrides map[string]string) *env {
	t.Helper()
	return newEnv(t, merge(map[string]string{"AUTH_SMS_PASSWORDLESS_ENABLED": "true", "HASURA_GRAPHQL_ADMIN_SECRET": opsAdminSecret},
		f.vars, overrides))
}

func (e *env) smsSend(number string, options map[string]any, headers ...header) *response {
	e.t.Helper()
	body := map[string]any{"phoneNumber": number}
	if options != nil {
		body["options"] = options
	}
	return e.do("POST", "/v1/signin/passwordless/sms", body, headers...)
}

func (e *env) smsVerify(number, code string, headers ...header) *response {
	e.t.Helper()
	return e.do("POST", "/v1/signin/passwordless/sms/otp", map[string]any{"phoneNumber": number, "otp": code}, headers...)
}

// smsCode asks for a code and returns it as the provider delivered it.
func (e *env) smsCode(f *smsFake, number string, options map[string]any) string {
	e.t.Helper()
	r := e.smsSend(number, options)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	contract(e.t, "/signin/passwordless/sms", "POST", r)
	require.Equal(e.t, `"OK"`, string(r.Body))
	code := f.code(strings.ReplaceAll(number, " ", ""))
	require.NotEmpty(e.t, code, "no SMS to %s", number)
	return code
}

// smsSignIn signs in with a code sent to number and returns the session.
func (e *env) smsSignIn(f *smsFake, number string, options map[string]any) sessionBody {
	e.t.Helper()
	r := e.smsVerify(number, e.smsCode(f, number, options))
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	contract(e.t, "/signin/passwordless/sms/otp", "POST", r)
	var p struct{ Session *sessionBody }
	r.decode(e.t, &p)
	require.NotNil(e.t, p.Session, "%s", r.Body)
	return *p.Session
}

// userByPhone is the row holding number as written; nil when none.
func (e *env) userByPhone(number string) *models.User {
	e.t.Helper()
	var us []models.User
	require.NoError(e.t, e.db().Where("phone_number = ?", number).Find(&us).Error)
	if len(us) == 0 {
		return nil
	}
	return &us[0]
}

// otpColumns is what auth.users holds of a user's code.
type otpColumns struct {
	OTPHash           *string   `gorm:"column:otp_hash"`
	OTPHashExpiresAt  time.Time `gorm:"column:otp_hash_expires_at"`
	OTPMethodLastUsed *string   `gorm:"column:otp_method_last_used"`
	Failures          int       `gorm:"column:failures"`
}

func (e *env) otpOf(userID any) otpColumns {
	e.t.Helper()
	var c otpColumns
	require.NoError(e.t, e.db().Raw(`SELECT u.otp_hash, u.otp_hash_expires_at, u.otp_method_last_used, COALESCE(s.failures, 0) AS failures
FROM auth.users u LEFT JOIN auth.user_sms_otp_state s ON s.user_id = u.id WHERE u.id = ?`, userID).Scan(&c).Error)
	return c
}

func messageOf(t testing.TB, r *response) string {
	t.Helper()
	var e struct{ Message string }
	r.decode(t, &e)
	return e.Message
}

func wrongCode(code string) string {
	if code[0] == '9' {
		return "1" + code[1:]
	}
	return string(code[0]+1) + code[1:]
}

// The whole flow with each provider: a new number gets an account made
// from the options, the code signs it in once, the number is verified; the
// next sign-in finds the same account.
func TestSMSSignInFlow(t *testing.T) {
	for _, provider := range smsProviders {
		f := provider(t)
		t.Run(f.name, func(t *testing.T) {
			e := newSMSEnv(t, f, nil)
			number := phoneNumber()
			options := map[string]any{"displayName": "Ana", "locale": "fr", "metadata": map[string]any{"plan": "pro"},
				"defaultRole": "editor", "allowedRoles": []string{"editor", "me"}}
			code := e.smsCode(f, spaced(number), options)
			require.Equal(t, 1, f.sent())

			u := e.userByPhone(number)
			require.NotNil(t, u, "the account holds the number in E.164")
			require.False(t, u.PhoneNumberVerified, "verified by the first right code only")
			require.Nil(t, u.Email)
			st := e.otpOf(u.ID)
			require.Equal(t, "sms", *st.OTPMethodLastUsed)
			require.True(t, strings.HasPrefix(*st.OTPHash, "$2a$"), "bcrypt, as pgcrypto's crypt() writes it")
			require.NotContains(t, *st.OTPHash, code)
			require.NotContains(t, e.logs.String(), code, "codes stay out of the logs")

			r := e.smsVerify(number, code)
			require.Equal(t, 200, r.Status, "%s", r.Body)
			contract(t, "/signin/passwordless/sms/otp", "POST", r)
			var p struct{ Session *sessionBody }
			r.decode(t, &p)
			require.NotNil(t, p.Session)
			s := *p.Session
			require.Equal(t, u.ID.String(), s.User.ID)
			require.Equal(t, "Ana", s.User.DisplayName)
			require.Equal(t, "fr", s.User.Locale)
			require.Equal(t, "editor", s.User.DefaultRole)
			require.ElementsMatch(t, []string{"editor", "me"}, s.User.Roles)
			require.Equal(t, map[string]any{"plan": "pro"}, s.User.Metadata)
			claims := e.hasuraClaims(s.AccessToken)
			require.Equal(t, u.ID.String(), claims.SessionVariables["x-hasura-user-id"])
			require.True(t, e.user(s.User.ID).PhoneNumberVerified)
			require.Nil(t, e.otpOf(u.ID).OTPHash, "a code signs in once")

			again := e.smsVerify(number, code)
			require.Equal(t, "invalid-otp", again.errorCode(t))
			e.flushAudit() // refusals are queued; a sign-in's row is written with its session

			// A known number: the same account, the options of the first sign-up kept.
			s2 := e.smsSignIn(f, number, map[string]any{"displayName": "Someone Else"})
			require.Equal(t, s.User.ID, s2.User.ID)
			require.Equal(t, "Ana", s2.User.DisplayName)
			require.Equal(t, 2, f.sent())
			var n int64
			require.NoError(t, e.db().Model(&models.User{}).Where("phone_number = ?", number).Count(&n).Error)
			require.EqualValues(t, 1, n)

			events := eventTypes(e.auditLog("userId=" + s.User.ID))
			require.Equal(t, []string{"sign-up", "sign-in", "sign-in-failed", "sign-in"}, events)
		})
	}
}

// The text goes out in the user's language, from hasura-auth's template.
func TestSMSMessageText(t *testing.T) {
	f := twilioMessages(t)
	e := newSMSEnv(t, f, nil)
	en, fr := phoneNumber(), phoneNumber()
	require.Equal(t, 200, e.smsSend(en, nil).Status)
	require.Equal(t, 200, e.smsSend(fr, map[string]any{"locale": "fr"}).Status)
	msgs := f.twilio.Messages()
	require.Len(t, msgs, 2)
	require.Equal(t, en, msgs[0].To)
	require.Equal(t, f.twilio.MessagingSID, msgs[0].MessagingServiceSid)
	require.Regexp(t, `^Your sign-in code: \d{6}$`, msgs[0].Body)
	require.Regexp(t, `^Votre code de connexion : \d{6}$`, msgs[1].Body)
	for _, req := range f.twilio.Requests() {
		require.True(t, req.AuthOK, "basic auth with the account SID and token")
	}
}

func TestSMSWrongExpiredAndLockedCodes(t *testing.T) {
	for _, provider := range smsProviders {
		f := provider(t)
		t.Run(f.name, func(t *testing.T) {
			e := newSMSEnv(t, f, map[string]string{"AUTH_SMS_OTP_MAX_ATTEMPTS": "3"})

			t.Run("wrong code", func(t *testing.T) {
				number := phoneNumber()
				code := e.smsCode(f, number, nil)
				r := e.smsVerify(number, wrongCode(code))
				require.Equal(t, "invalid-otp", r.errorCode(t))
				contract(t, "/signin/passwordless/sms/otp", "POST", r)
				require.Equal(t, "invalid-otp", e.smsVerify(number, "12 34 56").errorCode(t), "malformed: a wrong code")
				require.Equal(t, 2, e.otpOf(e.userByPhone(number).ID).Failures)
				require.Equal(t, 200, e.smsVerify(number, code).Status, "wrong codes below the limit leave the code usable")
				require.Equal(t, 0, e.otpOf(e.userByPhone(number).ID).Failures)
			})

			t.Run("expired code", func(t *testing.T) {
				number := phoneNumber()
				code := e.smsCode(f, number, nil)
				e.clock.Advance(11 * time.Minute) // past ours (5) and Twilio Verify's (10)
				require.Equal(t, "invalid-otp", e.smsVerify(number, code).errorCode(t))
				require.Equal(t, 0, e.otpOf(e.userByPhone(number).ID).Failures, "no code: nothing to count")
				fresh := e.smsCode(f, number, nil)
				require.Equal(t, 200, e.smsVerify(number, fresh).Status)
			})

			t.Run("locked after the last attempt", func(t *testing.T) {
				number := phoneNumber()
				code := e.smsCode(f, number, nil)
				for i := 0; i < 3; i++ {
					require.Equal(t, "invalid-otp", e.smsVerify(number, wrongCode(code)).errorCode(t))
				}
				id := e.userByPhone(number).ID
				require.Nil(t, e.otpOf(id).OTPHash, "cleared at the third wrong code")
				r := e.smsVerify(number, code)
				require.Equal(t, "invalid-otp", r.errorCode(t), "even the right code, once locked")
				require.Equal(t, 3, e.otpOf(id).Failures)

				fresh := e.smsCode(f, number, nil)
				require.Equal(t, 0, e.otpOf(id).Failures, "a new code starts a new count")
				require.Equal(t, 200, e.smsVerify(number, fresh).Status)
				var failed []auditRow
				for _, ev := range e.auditLog("userId=" + id.String()) {
					if ev.Event == "sign-in-failed" {
						failed = append(failed, ev)
					}
				}
				require.Len(t, failed, 4)
				require.Equal(t, "sms", failed[0].Metadata["method"])
				require.Equal(t, number, failed[0].Metadata["phoneNumber"])
			})
		})
	}
}

// Guesses sent together are each counted: no more than the allowed number
// of them is ever checked against one code.
func TestSMSConcurrentGuessesAreCounted(t *testing.T) {
	f := twilioMessages(t)
	e := newSMSEnv(t, f, map[string]string{"AUTH_SMS_OTP_MAX_ATTEMPTS": "3"})
	number := phoneNumber()
	code := e.smsCode(f, number, nil)
	const n = 12
	statuses := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() {
			statuses <- e.do("POST", "/v1/signin/passwordless/sms/otp", map[string]any{"phoneNumber": number, "otp": wrongCode(code)}).Status
		}()
	}
	for i := 0; i < n; i++ {
		require.Equal(t, 400, <-statuses)
	}
	require.Equal(t, 3, e.otpOf(e.userByPhone(number).ID).Failures, "the guesses after the lock were not checked")
	require.Equal(t, "invalid-otp", e.smsVerify(number, code).errorCode(t))
}

func TestSMSInvalidNumbers(t *testing.T) {
	f := twilioMessages(t)
	e := newSMSEnv(t, f, nil)
	cases := []struct {
		name, number, message string
	}{
		{"empty", "", "is empty"},
		{"spaces", "   ", "is empty"},
		{"national format", "021 123 4567", "international format"},
		{"letters", "+64 21 CALL ME", "may only hold digits"},
		{"extension", "+64 21 123 4567 ext 2", "may only hold digits"},
		{"tel URI", "tel:+64211234567", "may only hold digits"},
		{"unknown country code", "+999 123 456", "is not a phone number"},
		{"too short", "+64 2", "not"},
		{"not in the plan", "+64 11 111 1111", "not a valid phone number"},
		{"too long", "+" + strings.Repeat("1", 70), "is too long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []*response{e.smsSend(tc.number, nil), e.smsVerify(tc.number, "123456")} {
				require.Equal(t, "invalid-request", r.errorCode(t), "%s", r.Body)
				require.Contains(t, messageOf(t, r), tc.message)
				contract(t, "/signin/passwordless/sms", "POST", r)
			}
		})
	}
	require.Zero(t, f.sent(), "nothing sent")

	t.Run("a number the provider refuses", func(t *testing.T) {
		number := phoneNumber()
		f.faults.RejectNumber(number)
		r := e.smsSend(number, nil)
		require.Equal(t, 400, r.Status, "%s", r.Body)
		require.Equal(t, "cannot-send-sms", r.errorCode(t))
		contract(t, "/signin/passwordless/sms", "POST", r)
		require.Nil(t, e.userByPhone(number), "no account for a number no code could reach")
	})

	t.Run("body shapes", func(t *testing.T) {
		for _, body := range []any{`{"phoneNumber": 64211234567}`, `{"phone": "+64211234567"}`, `{}`, map[string]any{"phoneNumber": phoneNumber(), "otp": "1"}} {
			r := e.do("POST", "/v1/signin/passwordless/sms", body)
			require.Equal(t, "invalid-request", r.errorCode(t), "%v", body)
		}
		r := e.smsVerify(phoneNumber(), "")
		require.Equal(t, "invalid-request", r.errorCode(t))
		require.Equal(t, `"otp" is required`, messageOf(t, r))
	})
}

// Provider down, failing or slow: a clear 502, and nothing written: no
// account for a new number, the code of a known one as it was.
func TestSMSProviderFailures(t *testing.T) {
	for _, provider := range smsProviders {
		f := provider(t)
		t.Run(f.name, func(t *testing.T) {
			e := newSMSEnv(t, f, map[string]string{"AUTH_SMS_PROVIDER_TIMEOUT": "1"})
			known := phoneNumber()
			code := e.smsCode(f, known, nil)
			knownID := e.userByPhone(known).ID
			before := e.otpOf(knownID)

			check := func(t *testing.T) {
				fresh := phoneNumber()
				for _, number := range []string{fresh, known} {
					r := e.smsSend(number, nil)
					require.Equal(t, http.StatusBadGateway, r.Status, "%s", r.Body)
					require.Equal(t, "sms-provider-failed", r.errorCode(t))
				}
				require.Nil(t, e.userByPhone(fresh), "no account for a number no code reached")
				require.Equal(t, before, e.otpOf(knownID), "the known number's code untouched")
			}
			t.Run("outage", func(t *testing.T) {
				f.faults.SetOutage(true)
				defer f.faults.SetOutage(false)
				check(t)
			})
			t.Run("timeout", func(t *testing.T) {
				f.faults.SetDelay(5 * time.Second)
				defer f.faults.SetDelay(0)
				start := time.Now()
				check(t)
				require.Less(t, time.Since(start), 4*time.Second, "AUTH_SMS_PROVIDER_TIMEOUT bounds each call")
			})
			require.Equal(t, 200, e.smsVerify(known, code).Status, "the code sent before the outage still works")
			secret := f.vars["AUTH_SMS_TWILIO_AUTH_TOKEN"] + f.vars["AUTH_SMS_MODICA_PASSWORD"]
			require.Contains(t, e.logs.String(), "sms-provider-failed", "the failure is logged")
			require.NotContains(t, e.logs.String(), secret, "without the provider's credentials")
			require.NotContains(t, e.logs.String(), known, "nor the number")
		})
	}

	t.Run("twilio verify down while checking", func(t *testing.T) {
		f := twilioVerify(t)
		e := newSMSEnv(t, f, nil)
		number := phoneNumber()
		code := e.smsCode(f, number, nil)
		f.faults.SetOutage(true)
		r := e.smsVerify(number, code)
		require.Equal(t, http.StatusBadGateway, r.Status)
		require.Equal(t, "sms-provider-failed", r.errorCode(t))
		require.Equal(t, 0, e.otpOf(e.userByPhone(number).ID).Failures, "not counted as a wrong code")
		f.faults.SetOutage(false)
		require.Equal(t, 200, e.smsVerify(number, code).Status)
	})
}

// Sign-up closed: an unknown number gets the answer a known one gets, and
// nothing (no text, no account); a known number signs in.
func TestSMSSignUpDisabled(t *testing.T) {
	f := twilioMessages(t)
	open := newSMSEnv(t, f, nil)
	known := phoneNumber()
	open.smsSignIn(f, known, nil)

	e := newSMSEnv(t, f, map[string]string{"AUTH_DISABLE_SIGNUP": "true"})
	sent := f.sent()
	unknown := phoneNumber()
	r := e.smsSend(unknown, nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, `"OK"`, string(r.Body))
	require.Equal(t, sent, f.sent(), "no text to a number without an account")
	require.Nil(t, e.userByPhone(unknown))
	require.Equal(t, "invalid-otp", e.smsVerify(unknown, "123456").errorCode(t))

	e.smsSignIn(f, known, nil)
}

func TestSMSDisabledUsers(t *testing.T) {
	f := twilioMessages(t)
	e := newSMSEnv(t, f, map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": opsAdminSecret})
	number := phoneNumber()
	s := e.smsSignIn(f, number, nil)

	// A code asked for before the account was disabled does not sign in.
	code := e.smsCode(f, number, nil)
	require.Equal(t, 200, e.do("POST", "/v1/admin/users/"+s.User.ID+"/disable", nil, opsAdmin).Status)
	r := e.smsVerify(number, code)
	require.Equal(t, "disabled-user", r.errorCode(t))
	contract(t, "/signin/passwordless/sms/otp", "POST", r)

	sent := f.sent()
	r = e.smsSend(number, nil)
	require.Equal(t, 401, r.Status)
	require.Equal(t, "disabled-user", r.errorCode(t))
	require.Equal(t, sent, f.sent(), "no text to a disabled account")

	concealed := newSMSEnv(t, f, map[string]string{"AUTH_CONCEAL_ERRORS": "true"})
	require.Equal(t, "invalid-request", concealed.smsSend(number, nil).errorCode(t))

	t.Run("new users start disabled", func(t *testing.T) {
		e := newSMSEnv(t, f, map[string]string{"AUTH_DISABLE_NEW_USERS": "true"})
		number := phoneNumber()
		sent := f.sent()
		require.Equal(t, "disabled-user", e.smsSend(number, nil).errorCode(t))
		u := e.userByPhone(number)
		require.NotNil(t, u, "the account waits for an operator")
		require.True(t, u.Disabled)
		require.Equal(t, sent, f.sent(), "no code it could not use")
	})
}

// An account hasura-auth made with the number as the client typed it is
// found and signed into; the number is left as it was written. A code
// hasura-auth issued (crypt() in SQL) works here.
func TestSMSExistingUsers(t *testing.T) {
	f := twilioMessages(t)
	e := newSMSEnv(t, f, nil)
	number := phoneNumber()
	typed := spaced(number)
	addr := email(t)
	legacy := &models.User{Email: &addr, EmailVerified: true, PhoneNumber: &typed, DisplayName: "Legacy", Locale: "en",
		DefaultRole: "user", Metadata: models.JSONMap{}}
	require.NoError(t, models.CreateUser(e.db(), legacy, []string{"user", "me"}))

	s := e.smsSignIn(f, number, nil)
	require.Equal(t, legacy.ID.String(), s.User.ID)
	require.Equal(t, addr, s.User.Email)
	require.Equal(t, typed, *e.user(s.User.ID).PhoneNumber)

	require.NoError(t, e.db().Exec(`UPDATE auth.users SET otp_hash = crypt('246810', gen_salt('bf')),
  otp_hash_expires_at = now() + interval '5 minutes', otp_method_last_used = 'sms' WHERE id = ?`, legacy.ID).Error)
	require.Equal(t, 200, e.smsVerify(number, "246810").Status, "a code hasura-auth issued")

	// And the other way: a code issued here, checked as hasura-auth checks it.
	code := e.smsCode(f, number, nil)
	var ok bool
	require.NoError(t, e.db().Raw(`SELECT otp_hash = crypt(?, otp_hash) FROM auth.users WHERE id = ?`, code, legacy.ID).Scan(&ok).Error)
	require.True(t, ok)

	t.Run("an email not verified when verification is required", func(t *testing.T) {
		e := newSMSEnv(t, f, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"})
		number := phoneNumber()
		addr := email(t)
		u := &models.User{Email: &addr, PhoneNumber: &number, DisplayName: "U", Locale: "en", DefaultRole: "user", Metadata: models.JSONMap{}}
		require.NoError(t, models.CreateUser(e.db(), u, []string{"user"}))
		r := e.smsVerify(number, e.smsCode(f, number, nil))
		require.Equal(t, "unverified-user", r.errorCode(t))
	})

	t.Run("an email the access control refuses", func(t *testing.T) {
		e := newSMSEnv(t, f, map[string]string{"AUTH_ACCESS_CONTROL_BLOCKED_EMAIL_DOMAINS": "blocked.example.com"})
		number := phoneNumber()
		addr := strings.Replace(email(t), "@example.com", "@blocked.example.com", 1)
		u := &models.User{Email: &addr, EmailVerified: true, PhoneNumber: &number, DisplayName: "U", Locale: "en", DefaultRole: "user", Metadata: models.JSONMap{}}
		require.NoError(t, models.CreateUser(e.db(), u, []string{"user"}))
		code := e.smsCode(f, number, nil)
		require.Equal(t, "invalid-email-password", e.smsVerify(number, code).errorCode(t))
	})
}

// The answers do not tell whether a number has an account.
func TestSMSKnownAndUnknownNumbersAnswerAlike(t *testing.T) {
	f := twilioMessages(t)
	e := newSMSEnv(t, f, nil)
	known := phoneNumber()
	e.smsSignIn(f, known, nil)

	a, b := e.smsSend(known, nil), e.smsSend(phoneNumber(), nil)
	require.Equal(t, a.Status, b.Status)
	require.Equal(t, a.Body, b.Body)

	for _, number := range []string{known, phoneNumber()} {
		r := e.smsVerify(number, "000000")
		require.Equal(t, 400, r.Status)
		require.JSONEq(t, `{"status":400,"error":"invalid-otp","message":"Invalid or expired one-time code"}`, string(r.Body))
	}
	never := phoneNumber() // no code ever asked for: no account
	r := e.smsVerify(never, "000000")
	require.JSONEq(t, `{"status":400,"error":"invalid-otp","message":"Invalid or expired one-time code"}`, string(r.Body))
}

// A user with TOTP active gives it after the code: the SMS code alone
// answers a ticket for /signin/mfa/totp, not a session.
func TestSMSSignInAsksForTOTP(t *testing.T) {
	f := twilioMessages(t)
	e := newSMSEnv(t, f, mfaConfig)
	number := phoneNumber()
	s := e.smsSignIn(f, number, nil)
	secret := e.enableTOTP(s.AccessToken)

	r := e.smsVerify(number, e.smsCode(f, number, nil))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/signin/passwordless/sms/otp", "POST", r)
	var p struct {
		Session *sessionBody
		MFA     *struct{ Ticket string }
	}
	r.decode(t, &p)
	require.Nil(t, p.Session)
	require.NotNil(t, p.MFA)
	done := e.mustSignInTOTP(p.MFA.Ticket, e.code(secret))
	require.Equal(t, s.User.ID, done.User.ID)
}

func TestSMSRateLimits(t *testing.T) {
	f := twilioMessages(t)
	e := newSMSEnv(t, f, map[string]string{
		"AUTH_RATE_LIMIT_ENABLE": "true", "AUTH_RATE_LIMIT_SMS_BURST": "2", "AUTH_RATE_LIMIT_BRUTE_FORCE_BURST": "4",
	})
	ip := func(i int) header { return fromIP(fmt.Sprintf("198.51.100.%d", i)) }

	t.Run("per number", func(t *testing.T) {
		number := phoneNumber()
		require.Equal(t, 200, e.smsSend(number, nil, ip(1)).Status)
		require.Equal(t, 200, e.smsSend(spaced(number), nil, ip(2)).Status, "written another way, the same number")
		r := e.smsSend(number, nil, ip(3))
		require.Equal(t, 429, r.Status)
		require.NotEmpty(t, r.Header.Get("Retry-After"))
		require.Equal(t, 200, e.smsSend(phoneNumber(), nil, ip(3)).Status, "another number from that IP")
	})
	t.Run("per IP", func(t *testing.T) {
		require.Equal(t, 200, e.smsSend(phoneNumber(), nil, ip(10)).Status)
		require.Equal(t, 200, e.smsSend(phoneNumber(), nil, ip(10)).Status)
		require.Equal(t, 429, e.smsSend(phoneNumber(), nil, ip(10)).Status)
	})
	t.Run("guesses per number", func(t *testing.T) {
		number := phoneNumber()
		code := e.smsCode(f, number, nil)
		for i := 0; i < 4; i++ {
			require.Equal(t, 400, e.smsVerify(number, wrongCode(code), ip(20+i)).Status)
		}
		// past the number's limit of failed guesses, an IP that failed is refused…
		require.Equal(t, 429, e.smsVerify(number, code, ip(20)).Status, "from an IP that failed")
		// …one that has not is not (the owner must not be locked out by others' guesses)
		require.Equal(t, 200, e.smsVerify(number, code, ip(30)).Status, "from yet another IP")
	})
}

func TestSMSOff(t *testing.T) {
	e := newEnv(t, nil)
	for _, r := range []*response{e.smsSend(phoneNumber(), nil), e.smsVerify(phoneNumber(), "123456")} {
		require.Equal(t, 409, r.Status)
		require.Equal(t, "disabled-endpoint", r.errorCode(t))
		contract(t, "/signin/passwordless/sms", "POST", r)
	}
}

// The log provider, for a developer's machine: the code is in the log.
func TestSMSLogProvider(t *testing.T) {
	e := newEnv(t, map[string]string{"AUTH_SMS_PASSWORDLESS_ENABLED": "true", "AUTH_SMS_PROVIDER": "log"})
	number := phoneNumber()
	require.Equal(t, 200, e.smsSend(number, nil).Status)
	code := regexp.MustCompile(`code: (\d{6})`).FindStringSubmatch(e.logs.String())
	require.NotNil(t, code, "the code is logged: %s", e.logs.String())
	require.Equal(t, 200, e.smsVerify(number, code[1]).Status)
}

// A wrong code costs the same for a number with a live code and for one
// without an account: one bcrypt comparison at the production cost either
// way, and the count of the wrong code written without waiting for the disk.
// The two are guessed at in turn, so that the machine's load weighs on both
// alike; each is reported as ns/known and ns/unknown.
// Run: go test ./handlers -run '^$' -bench SMSVerify
func BenchmarkSMSVerifyWrongCode(b *testing.B) {
	f := twilioMessages(b)
	e := newSMSEnv(b, f, map[string]string{"AUTH_BCRYPT_COST": "10", "AUTH_SMS_OTP_MAX_ATTEMPTS": "20"})
	known, unknown := phoneNumber(), phoneNumber()
	wrong := wrongCode(e.smsCode(f, known, nil))
	var spent [2]time.Duration
	n := 0
	for b.Loop() {
		if n++; n%19 == 0 { // a new code before this one is cleared
			b.StopTimer()
			wrong = wrongCode(e.smsCode(f, known, nil))
			b.StartTimer()
		}
		for i, number := range []string{known, unknown} {
			start := time.Now()
			if r := e.smsVerify(number, wrong); r.Status != 400 {
				b.Fatalf("%d %s", r.Status, r.Body)
			}
			spent[i] += time.Since(start)
		}
	}
	b.ReportMetric(float64(spent[0].Nanoseconds())/float64(n), "ns/known")
	b.ReportMetric(float64(spent[1].Nanoseconds())/float64(n), "ns/unknown")
}
