package compat_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/mail/mailtest"
)

func withSMTP(smtp *mailtest.Server, vals map[string]string) map[string]string {
	out := map[string]string{"AUTH_SMTP_HOST": smtp.Host, "AUTH_SMTP_PORT": smtp.PortString(), "AUTH_SMTP_SENDER": "Auth <auth@example.com>"}
	for k, v := range vals {
		out[k] = v
	}
	return out
}

// 6. A sign-up that cannot mail its verification link leaves no user behind:
// refused before writing when no SMTP server is configured (the defaults),
// undone when the server fails; the same sign-up works once mail does.
func TestFailedSignUpLeavesNothing(t *testing.T) {
	const addr = "first.try@example.com"
	count := func(h *harness) []string {
		return h.query(`SELECT count(*)::text FROM auth.users WHERE email = ?`, addr)
	}
	body := map[string]any{"email": addr, "password": "a-good-password"}

	t.Run("no SMTP configured", func(t *testing.T) {
		h, _ := startOnFixture(t, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"})
		r := h.do("POST", "/v1/signup/email-password", body)
		require.Equal(t, 500, r.Status, "%s", r.Body)
		assert.Equal(t, "internal-server-error", r.code(t))
		assert.Contains(t, string(r.Body), "could not be sent")
		assert.Equal(t, []string{"0"}, count(h))
		assert.Contains(t, h.logs.String(), "email is not configured", "the start said so")
	})

	t.Run("SMTP failing", func(t *testing.T) {
		smtp := mailtest.Start(t)
		smtp.SetFailing(true)
		h, _ := startOnFixture(t, withSMTP(smtp, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"}))
		r := h.do("POST", "/v1/signup/email-password", body)
		require.Equal(t, 500, r.Status, "%s", r.Body)
		assert.Equal(t, []string{"0"}, count(h), "the user written before the send is removed again")
		assert.Empty(t, h.query(`SELECT role FROM auth.user_roles ur JOIN auth.users u ON u.id = ur.user_id WHERE u.email = ?`, addr))

		smtp.SetFailing(false)
		r = h.do("POST", "/v1/signup/email-password", body)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		assert.JSONEq(t, `{"session":null}`, string(r.Body))
		assert.Contains(t, smtp.Wait(t, addr, 1).Link(), "https://auth.example.com/v1/verify?", "AUTH_SERVER_URL + /verify")
	})
}

// 6. With AUTH_CONCEAL_ERRORS, /user/email/send-verification-email answers
// the same for every email and does the same work before answering: the
// mail leaves in the background, so not even a slow SMTP server shows in
// the answer's timing.
func TestConcealedSendVerificationEmail(t *testing.T) {
	smtp := mailtest.Start(t)
	h, _ := startOnFixture(t, withSMTP(smtp, map[string]string{"AUTH_CONCEAL_ERRORS": "true"}))
	h.exec(`UPDATE auth.users SET email_verified = true WHERE email = ?`, mfaEmail)
	h.exec(`INSERT INTO auth.users (locale, email, disabled) VALUES ('en', 'disabled.user@example.com', true)`)
	const slow = 2 * time.Second
	smtp.SetDelay(slow)

	cases := map[string]string{
		"unverified account": legacyEmail,
		"verified account":   mfaEmail,
		"disabled account":   "disabled.user@example.com",
		"no account":         "nobody@example.com",
	}
	for name, addr := range cases {
		started := time.Now()
		r := h.do("POST", "/v1/user/email/send-verification-email", map[string]any{"email": addr})
		took := time.Since(started)
		assert.Equal(t, 200, r.Status, "%s: %s", name, r.Body)
		assert.Equal(t, `"OK"`, string(r.Body), name)
		assert.Less(t, took, slow, "%s: the answer does not wait for the mail", name)
	}
	smtp.Wait(t, legacyEmail, 1)
	require.NoError(t, h.srv.Close())
	for name, addr := range cases {
		want := 0
		if addr == legacyEmail {
			want = 1
		}
		assert.Len(t, smtp.To(addr), want, "only the unverified account gets a link (%s)", name)
	}

	// Without concealment, hasura-auth's answers.
	plain, _ := startOnFixture(t, withSMTP(smtp, nil))
	assert.Equal(t, "invalid-email-password", plain.do("POST", "/v1/user/email/send-verification-email", map[string]any{"email": "nobody@example.com"}).code(t))
}
