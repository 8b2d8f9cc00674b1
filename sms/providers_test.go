package sms_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/sms"
	"github.com/hasura-auth-go/auth/sms/phone"
	"github.com/hasura-auth-go/auth/sms/smstest"
)

var (
	nzMobile = phone.MustParse("+64 21 123 4567")
	usNumber = phone.MustParse("+1 650 253 0000")
)

func fakeTwilioConfig(tw *smstest.Twilio, from string) sms.Config {
	c := sms.DefaultConfig()
	c.Enabled = true
	c.TwilioAccountSID = tw.AccountSID
	c.TwilioAuthToken = tw.AuthToken
	c.TwilioMessagingServiceID = from
	c.TwilioAPIURL = tw.URL
	c.TwilioVerifyURL = tw.URL
	c.BcryptCost = 4
	return c
}

func fakeModicaConfig(m *smstest.Modica) sms.Config {
	c := sms.DefaultConfig()
	c.Enabled = true
	c.Provider = "modica"
	c.ModicaUsername = m.Username
	c.ModicaPassword = m.Password
	c.ModicaAPIURL = m.URL + "/"
	c.BcryptCost = 4
	return c
}

func newService(t *testing.T, c sms.Config) *sms.Service {
	t.Helper()
	s, err := sms.New(c, nil, nil)
	require.NoError(t, err)
	return s
}

// codeIn takes the code out of our default English text.
func codeIn(t *testing.T, text string) string {
	t.Helper()
	code, found := strings.CutPrefix(text, "Your sign-in code: ")
	require.True(t, found, "unexpected text %q", text)
	require.Len(t, code, 6)
	return code
}

func TestTwilioMessagesSendsWithMessagingService(t *testing.T) {
	tw := smstest.NewTwilio(t)
	s := newService(t, fakeTwilioConfig(tw, tw.MessagingSID))
	require.Equal(t, "twilio", s.Provider())

	issued, err := s.Send(context.Background(), nzMobile, "en")
	require.NoError(t, err)

	reqs := tw.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	require.Equal(t, http.MethodPost, r.Method)
	require.Equal(t, "/2010-04-01/Accounts/"+tw.AccountSID+"/Messages.json", r.Path)
	require.Equal(t, "application/x-www-form-urlencoded", r.ContentType)
	require.True(t, r.AuthOK, "basic auth with account SID and auth token")
	require.Equal(t, []string{"Body", "MessagingServiceSid", "To"}, sortedKeys(r.Form))

	msgs := tw.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, "+64211234567", msgs[0].To)
	require.Equal(t, tw.MessagingSID, msgs[0].MessagingServiceSid)
	code := codeIn(t, msgs[0].Body)
	require.True(t, sms.CodeMatches(issued.Hash, code), "the stored hash is the texted code's")
	require.Equal(t, "sms", issued.Method)
	require.WithinDuration(t, time.Now().Add(5*time.Minute), issued.ExpiresAt, 5*time.Second)
}

func TestTwilioMessagesSendsFromASender(t *testing.T) {
	for _, from := range []string{"+15005550006", "MyApp"} {
		t.Run(from, func(t *testing.T) {
			tw := smstest.NewTwilio(t)
			s := newService(t, fakeTwilioConfig(tw, from))
			_, err := s.Send(context.Background(), usNumber, "fr")
			require.NoError(t, err)
			msgs := tw.Messages()
			require.Len(t, msgs, 1)
			require.Equal(t, from, msgs[0].From)
			require.Empty(t, msgs[0].MessagingServiceSid)
			require.True(t, strings.HasPrefix(msgs[0].Body, "Votre code de connexion : "), msgs[0].Body)
		})
	}
}

func TestModicaSends(t *testing.T) {
	m := smstest.NewModica(t)
	s := newService(t, fakeModicaConfig(m))
	require.Equal(t, "modica", s.Provider())

	issued, err := s.Send(context.Background(), nzMobile, "de") // no German template: the default, en
	require.NoError(t, err)

	reqs := m.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, smstest.ModicaPath, reqs[0].Path)
	require.Equal(t, "application/json", reqs[0].ContentType)
	require.True(t, reqs[0].AuthOK, "basic auth with the gateway application name and password")
	require.JSONEq(t, `{"destination":"+64211234567","content":"`+m.Messages()[0].Content+`"}`, string(reqs[0].Body))
	require.True(t, sms.CodeMatches(issued.Hash, codeIn(t, m.Messages()[0].Content)))
}

// Provider failures map to the two classes the flow answers with, and the
// error text carries neither the number, the provider's words, nor secrets.
func TestProviderFailuresAreTyped(t *testing.T) {
	type fakes struct {
		tw *smstest.Twilio
		m  *smstest.Modica
	}
	cases := []struct {
		name      string
		provider  string // twilio, verify, modica
		arrange   func(f fakes, c *sms.Config)
		wantClass error
		wantKind  sms.Kind
		wantCode  string
		timeout   bool
	}{
		{"twilio invalid number", "twilio", func(f fakes, _ *sms.Config) { f.tw.RejectNumber("+64211234567") },
			sms.ErrInvalidNumber, sms.KindInvalidNumber, "21211", false},
		{"twilio outage", "twilio", func(f fakes, _ *sms.Config) { f.tw.SetOutage(true) },
			sms.ErrProviderFailed, sms.KindUnavailable, "", false},
		{"twilio 429", "twilio", func(f fakes, _ *sms.Config) { f.tw.FailNext(http.StatusTooManyRequests) },
			sms.ErrProviderFailed, sms.KindUnavailable, "", false},
		{"twilio wrong token", "twilio", func(_ fakes, c *sms.Config) { c.TwilioAuthToken = "wrong-token" },
			sms.ErrProviderFailed, sms.KindRejected, "20003", false},
		{"twilio unknown messaging service", "twilio", func(_ fakes, c *sms.Config) {
			c.TwilioMessagingServiceID = "MGffffffffffffffffffffffffffffffff"
		}, sms.ErrProviderFailed, sms.KindRejected, "21701", false},
		{"twilio slow", "twilio", func(f fakes, c *sms.Config) { f.tw.SetDelay(5 * time.Second); c.Timeout = 100 * time.Millisecond },
			sms.ErrProviderFailed, sms.KindUnavailable, "", true},
		{"twilio base URL redirects", "twilio", func(f fakes, _ *sms.Config) { f.tw.FailNext(http.StatusMovedPermanently) },
			sms.ErrProviderFailed, sms.KindRejected, "", false},
		{"verify invalid number", "verify", func(f fakes, _ *sms.Config) { f.tw.RejectNumber("+64211234567") },
			sms.ErrInvalidNumber, sms.KindInvalidNumber, "60200", false},
		{"verify outage", "verify", func(f fakes, _ *sms.Config) { f.tw.SetOutage(true) },
			sms.ErrProviderFailed, sms.KindUnavailable, "", false},
		{"verify unknown service", "verify", func(_ fakes, c *sms.Config) {
			c.TwilioMessagingServiceID = "VAffffffffffffffffffffffffffffffff"
		}, sms.ErrProviderFailed, sms.KindRejected, "20404", false},
		{"verify slow", "verify", func(f fakes, c *sms.Config) { f.tw.SetDelay(5 * time.Second); c.Timeout = 100 * time.Millisecond },
			sms.ErrProviderFailed, sms.KindUnavailable, "", true},
		{"modica invalid number", "modica", func(f fakes, _ *sms.Config) { f.m.RejectNumber("+64211234567") },
			sms.ErrInvalidNumber, sms.KindInvalidNumber, "invalid_attrib", false},
		{"modica outage", "modica", func(f fakes, _ *sms.Config) { f.m.SetOutage(true) },
			sms.ErrProviderFailed, sms.KindUnavailable, "", false},
		{"modica 500 once", "modica", func(f fakes, _ *sms.Config) { f.m.FailNext(http.StatusInternalServerError) },
			sms.ErrProviderFailed, sms.KindUnavailable, "", false},
		{"modica wrong password", "modica", func(_ fakes, c *sms.Config) { c.ModicaPassword = "wrong-password" },
			sms.ErrProviderFailed, sms.KindRejected, "", false},
		{"modica wrong path", "modica", func(f fakes, c *sms.Config) { c.ModicaAPIURL = f.m.URL + "/eu" },
			sms.ErrProviderFailed, sms.KindRejected, "", false},
		{"modica slow", "modica", func(f fakes, c *sms.Config) { f.m.SetDelay(5 * time.Second); c.Timeout = 100 * time.Millisecond },
			sms.ErrProviderFailed, sms.KindUnavailable, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fakes{tw: smstest.NewTwilio(t), m: smstest.NewModica(t)}
			var c sms.Config
			switch tc.provider {
			case "twilio":
				c = fakeTwilioConfig(f.tw, f.tw.MessagingSID)
			case "verify":
				c = fakeTwilioConfig(f.tw, f.tw.VerifyServiceSID)
			default:
				c = fakeModicaConfig(f.m)
			}
			tc.arrange(f, &c)
			s := newService(t, c)

			_, err := s.Send(context.Background(), nzMobile, "en")
			require.ErrorIs(t, err, tc.wantClass)
			other := sms.ErrInvalidNumber
			if tc.wantClass == sms.ErrInvalidNumber {
				other = sms.ErrProviderFailed
			}
			require.NotErrorIs(t, err, other)
			var pe *sms.ProviderError
			require.True(t, errors.As(err, &pe))
			require.Equal(t, tc.wantKind, pe.Kind, err.Error())
			require.Equal(t, tc.wantCode, pe.Code)
			require.Equal(t, tc.timeout, pe.Timeout)

			msg := err.Error()
			for _, secret := range []string{"64211234567", c.TwilioAuthToken, c.ModicaPassword, f.tw.AccountSID,
				"Invalid", "valid mobile", "Authenticate", "unavailable\n", f.tw.URL, f.m.URL} {
				if secret != "" {
					require.NotContains(t, msg, secret)
				}
			}
		})
	}
}

func TestTwilioVerifySendsAndChecks(t *testing.T) {
	tw := smstest.NewTwilio(t)
	clock := newClock()
	s, err := sms.New(fakeTwilioConfig(tw, tw.VerifyServiceSID), nil, clock.Now)
	require.NoError(t, err)
	require.Equal(t, "twilio-verify", s.Provider())

	issued, err := s.Send(context.Background(), nzMobile, "fr")
	require.NoError(t, err)
	require.Equal(t, "sms", issued.Method)
	require.Equal(t, clock.Now().Add(10*time.Minute), issued.ExpiresAt, "Twilio's lifetime, as hasura-auth records it")
	require.True(t, strings.HasPrefix(issued.Hash, "$2a$"), "a well-formed hash that no code matches")

	started := tw.Verifications()
	require.Len(t, started, 1)
	require.Equal(t, smstest.Verification{To: "+64211234567", Channel: "sms", Locale: "fr", Code: started[0].Code}, started[0])
	r := tw.Requests()[0]
	require.Equal(t, "/v2/Services/"+tw.VerifyServiceSID+"/Verifications", r.Path)
	require.Equal(t, "application/x-www-form-urlencoded", r.ContentType)
	require.True(t, r.AuthOK)
	require.Empty(t, tw.Messages(), "Verify sends the text itself")
	require.False(t, sms.CodeMatches(issued.Hash, started[0].Code))

	st := storedFrom(issued)
	v, err := s.Check(context.Background(), nzMobile, wrongCode(started[0].Code), st)
	require.NoError(t, err)
	require.Equal(t, sms.Rejected, v)

	st.Failures++
	v, err = s.Check(context.Background(), nzMobile, " "+started[0].Code+" ", st)
	require.NoError(t, err)
	require.Equal(t, sms.Accepted, v)

	checks := tw.Requests()[1:]
	require.Len(t, checks, 2)
	require.Equal(t, "/v2/Services/"+tw.VerifyServiceSID+"/VerificationCheck", checks[1].Path)
	require.Equal(t, []string{"Code", "To"}, sortedKeys(checks[1].Form))
	require.Equal(t, started[0].Code, checks[1].Form.Get("Code"))
}

func TestTwilioVerifyRetriesWithoutAnUnknownLocale(t *testing.T) {
	tw := smstest.NewTwilio(t)
	s := newService(t, fakeTwilioConfig(tw, tw.VerifyServiceSID))
	_, err := s.Send(context.Background(), nzMobile, "xx")
	require.NoError(t, err)
	reqs := tw.Requests()
	require.Len(t, reqs, 2)
	require.Equal(t, "xx", reqs[0].Form.Get("Locale"))
	require.False(t, reqs[1].Form.Has("Locale"))
	require.Len(t, tw.Verifications(), 1)

	_, err = s.Send(context.Background(), usNumber, "")
	require.NoError(t, err)
	require.False(t, tw.Requests()[2].Form.Has("Locale"), "no locale, no parameter")
}

func TestTwilioVerifyCheckOutcomes(t *testing.T) {
	ctx := context.Background()
	t.Run("expired at Twilio", func(t *testing.T) {
		tw := smstest.NewTwilio(t)
		s := newService(t, fakeTwilioConfig(tw, tw.VerifyServiceSID))
		issued, err := s.Send(ctx, nzMobile, "en")
		require.NoError(t, err)
		code := tw.VerifyCode("+64211234567")
		tw.ExpireVerification("+64211234567")
		v, err := s.Check(ctx, nzMobile, code, storedFrom(issued))
		require.NoError(t, err)
		require.Equal(t, sms.Locked, v, "Twilio dropped it: clear ours")
	})
	t.Run("Twilio's own attempt limit", func(t *testing.T) {
		tw := smstest.NewTwilio(t)
		c := fakeTwilioConfig(tw, tw.VerifyServiceSID)
		c.MaxAttempts = 20 // ours is looser than Twilio's 5
		s := newService(t, c)
		issued, err := s.Send(ctx, nzMobile, "en")
		require.NoError(t, err)
		code := tw.VerifyCode("+64211234567")
		st := storedFrom(issued)
		for i := 0; i < 5; i++ {
			v, err := s.Check(ctx, nzMobile, wrongCode(code), st)
			require.NoError(t, err)
			require.Equal(t, sms.Rejected, v)
			st.Failures++
		}
		v, err := s.Check(ctx, nzMobile, code, st)
		require.NoError(t, err)
		require.Equal(t, sms.Locked, v, "Twilio answers 429 60202 after 5 checks")
	})
	t.Run("malformed code is not sent to Twilio", func(t *testing.T) {
		tw := smstest.NewTwilio(t)
		s := newService(t, fakeTwilioConfig(tw, tw.VerifyServiceSID))
		issued, err := s.Send(ctx, nzMobile, "en")
		require.NoError(t, err)
		for _, bad := range []string{"", "12a456", "123", "12345678901"} {
			v, err := s.Check(ctx, nzMobile, bad, storedFrom(issued))
			require.NoError(t, err)
			require.Equal(t, sms.Rejected, v, bad)
		}
		require.Len(t, tw.Requests(), 1)
	})
	t.Run("no live code: Twilio asked all the same, its answer ignored", func(t *testing.T) {
		tw := smstest.NewTwilio(t)
		s := newService(t, fakeTwilioConfig(tw, tw.VerifyServiceSID))
		v, err := s.Check(ctx, nzMobile, "123456", sms.Stored{})
		require.NoError(t, err)
		require.Equal(t, sms.NoCode, v)
		require.Len(t, tw.Requests(), 1, "as long as for a number with a code")
		tw.SetOutage(true)
		v, err = s.Check(ctx, nzMobile, "123456", sms.Stored{})
		require.NoError(t, err, "an outage does not matter when there is nothing to check")
		require.Equal(t, sms.NoCode, v)
	})
	t.Run("outage during check", func(t *testing.T) {
		tw := smstest.NewTwilio(t)
		s := newService(t, fakeTwilioConfig(tw, tw.VerifyServiceSID))
		issued, err := s.Send(ctx, nzMobile, "en")
		require.NoError(t, err)
		tw.SetOutage(true)
		_, err = s.Check(ctx, nzMobile, "123456", storedFrom(issued))
		require.ErrorIs(t, err, sms.ErrProviderFailed)
	})
}
