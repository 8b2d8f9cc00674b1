package sms_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/sms"
)

const (
	testAccountSID = "AC0123456789abcdef0123456789abcdef"
	testVerifySID  = "VA0123456789abcdef0123456789abcdef"
	testMGSID      = "MG0123456789abcdef0123456789abcdef"
)

func twilioConfig() sms.Config {
	c := sms.DefaultConfig()
	c.Enabled = true
	c.TwilioAccountSID = testAccountSID
	c.TwilioAuthToken = "token"
	c.TwilioMessagingServiceID = testMGSID
	return c
}

func TestDefaultConfig(t *testing.T) {
	c := sms.DefaultConfig()
	require.False(t, c.Enabled)
	require.Equal(t, "twilio", c.Provider)
	require.Equal(t, 6, c.CodeLength)
	require.Equal(t, 5*time.Minute, c.CodeTTL)
	require.Equal(t, 5, c.MaxAttempts)
	require.Equal(t, 10*time.Second, c.Timeout)
	require.Equal(t, "https://api.twilio.com", c.TwilioAPIURL)
	require.Equal(t, "https://verify.twilio.com", c.TwilioVerifyURL)
	require.Equal(t, "https://api.modicagroup.com", c.ModicaAPIURL)
	require.NoError(t, c.Validate(), "SMS off: nothing else is read")
}

// Every field names the variable it comes from.
func TestConfigFieldsNameTheirVariables(t *testing.T) {
	seen := map[string]bool{}
	typ := reflect.TypeOf(sms.Config{})
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		require.True(t, strings.HasPrefix(name, "AUTH_"), "field %s has no env tag", f.Name)
		require.False(t, seen[name], "%s tagged twice", name)
		seen[name] = true
	}
	for _, v := range []string{"AUTH_SMS_PASSWORDLESS_ENABLED", "AUTH_SMS_PROVIDER", "AUTH_SMS_TWILIO_ACCOUNT_SID",
		"AUTH_SMS_TWILIO_AUTH_TOKEN", "AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID", "AUTH_SMS_MODICA_USERNAME", "AUTH_SMS_MODICA_PASSWORD"} {
		require.True(t, seen[v], "hasura-auth's %s has no field", v)
	}
	for _, secret := range []string{"TwilioAuthToken", "ModicaPassword"} {
		f, _ := typ.FieldByName(secret)
		require.Equal(t, "-", f.Tag.Get("json"), "%s must not be marshalled", secret)
	}
}

func TestConfigValidateAccepts(t *testing.T) {
	cases := map[string]func(*sms.Config){
		"twilio messaging service": func(*sms.Config) {},
		"twilio verify":            func(c *sms.Config) { c.TwilioMessagingServiceID = testVerifySID },
		"twilio from number":       func(c *sms.Config) { c.TwilioMessagingServiceID = "+15005550006" },
		"twilio alphanumeric from": func(c *sms.Config) { c.TwilioMessagingServiceID = "MyApp" },
		"provider empty is twilio": func(c *sms.Config) { c.Provider = "" },
		"provider upper case":      func(c *sms.Config) { c.Provider = "Twilio" },
		"modica": func(c *sms.Config) {
			c.Provider, c.ModicaUsername, c.ModicaPassword = "modica", "app", "pw"
		},
		"modica regional endpoint": func(c *sms.Config) {
			c.Provider, c.ModicaUsername, c.ModicaPassword = "modica", "app", "pw"
			c.ModicaAPIURL = "https://api.sms.example.com.au/"
		},
		"log on localhost":  func(c *sms.Config) { c.Provider, c.ServerURL = "log", "http://localhost:4000" },
		"dev on 127.0.0.1":  func(c *sms.Config) { c.Provider, c.ServerURL = "dev", "http://127.0.0.1:4000/v1" },
		"log on ::1":        func(c *sms.Config) { c.Provider, c.ServerURL = "log", "http://[::1]:4000" },
		"test server http":  func(c *sms.Config) { c.TwilioAPIURL = "http://127.0.0.1:9999" },
		"8-digit codes":     func(c *sms.Config) { c.CodeLength = 8 },
		"one attempt":       func(c *sms.Config) { c.MaxAttempts = 1 },
		"one-hour lifetime": func(c *sms.Config) { c.CodeTTL = time.Hour },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			c := twilioConfig()
			mod(&c)
			require.NoError(t, c.Validate())
		})
	}
}

func TestConfigValidateRefuses(t *testing.T) {
	cases := []struct {
		name    string
		mod     func(*sms.Config)
		wantVar []string
	}{
		{"unknown provider", func(c *sms.Config) { c.Provider = "sns" }, []string{"AUTH_SMS_PROVIDER"}},
		{"twilio without anything", func(c *sms.Config) {
			c.TwilioAccountSID, c.TwilioAuthToken, c.TwilioMessagingServiceID = "", "", ""
		}, []string{"AUTH_SMS_TWILIO_ACCOUNT_SID", "AUTH_SMS_TWILIO_AUTH_TOKEN", "AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID"}},
		{"verify SID as account SID", func(c *sms.Config) { c.TwilioAccountSID = testVerifySID }, []string{"AUTH_SMS_TWILIO_ACCOUNT_SID"}},
		{"account SID malformed", func(c *sms.Config) { c.TwilioAccountSID = "AC123" }, []string{"AUTH_SMS_TWILIO_ACCOUNT_SID"}},
		{"verify SID malformed", func(c *sms.Config) { c.TwilioMessagingServiceID = "VA12" }, []string{"AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID"}},
		{"messaging SID malformed", func(c *sms.Config) { c.TwilioMessagingServiceID = "MGxyz" }, []string{"AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID"}},
		{"twilio URL plain http", func(c *sms.Config) { c.TwilioAPIURL = "http://api.twilio.com" }, []string{"AUTH_SMS_TWILIO_API_URL"}},
		{"twilio URL relative", func(c *sms.Config) { c.TwilioAPIURL = "api.twilio.com" }, []string{"AUTH_SMS_TWILIO_API_URL"}},
		{"verify URL with query", func(c *sms.Config) {
			c.TwilioMessagingServiceID = testVerifySID
			c.TwilioVerifyURL = "https://verify.twilio.com/?x=1"
		}, []string{"AUTH_SMS_TWILIO_VERIFY_URL"}},
		{"modica without credentials", func(c *sms.Config) { c.Provider = "modica" },
			[]string{"AUTH_SMS_MODICA_USERNAME", "AUTH_SMS_MODICA_PASSWORD"}},
		{"modica URL with user", func(c *sms.Config) {
			c.Provider, c.ModicaUsername, c.ModicaPassword = "modica", "app", "pw"
			c.ModicaAPIURL = "https://app:pw@api.modicagroup.com"
		}, []string{"AUTH_SMS_MODICA_API_URL"}},
		{"log on a public server", func(c *sms.Config) { c.Provider, c.ServerURL = "log", "https://auth.example.com" }, []string{"AUTH_SMS_PROVIDER", "AUTH_SERVER_URL"}},
		{"log without server URL", func(c *sms.Config) { c.Provider = "log" }, []string{"AUTH_SMS_PROVIDER", "AUTH_SERVER_URL"}},
		{"dev on a LAN address", func(c *sms.Config) { c.Provider, c.ServerURL = "dev", "http://192.168.1.20:4000" }, []string{"AUTH_SMS_PROVIDER"}},
		{"log on a localhost look-alike", func(c *sms.Config) { c.Provider, c.ServerURL = "log", "http://localhost.example.com" }, []string{"AUTH_SMS_PROVIDER"}},
		{"5-digit codes", func(c *sms.Config) { c.CodeLength = 5 }, []string{"AUTH_SMS_OTP_LENGTH"}},
		{"11-digit codes", func(c *sms.Config) { c.CodeLength = 11 }, []string{"AUTH_SMS_OTP_LENGTH"}},
		{"lifetime too short", func(c *sms.Config) { c.CodeTTL = 10 * time.Second }, []string{"AUTH_SMS_OTP_EXPIRES_IN"}},
		{"lifetime too long", func(c *sms.Config) { c.CodeTTL = 2 * time.Hour }, []string{"AUTH_SMS_OTP_EXPIRES_IN"}},
		{"no attempts", func(c *sms.Config) { c.MaxAttempts = 0 }, []string{"AUTH_SMS_OTP_MAX_ATTEMPTS"}},
		{"no timeout", func(c *sms.Config) { c.Timeout = 0 }, []string{"AUTH_SMS_PROVIDER_TIMEOUT"}},
		{"bcrypt cost too high", func(c *sms.Config) { c.BcryptCost = 16 }, []string{"AUTH_BCRYPT_COST"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := twilioConfig()
			tc.mod(&c)
			err := c.Validate()
			require.Error(t, err)
			for _, v := range tc.wantVar {
				require.Contains(t, err.Error(), v)
			}
			require.NotContains(t, err.Error(), "token", "no secret in the message")
			_, err = sms.New(c, nil, nil)
			require.Error(t, err, "New refuses what Validate refuses")
		})
	}
}

func TestNewRefusesWhenDisabled(t *testing.T) {
	c := twilioConfig()
	c.Enabled = false
	_, err := sms.New(c, nil, nil)
	require.ErrorContains(t, err, "AUTH_SMS_PASSWORDLESS_ENABLED")
}

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"http://localhost:4000", "http://LOCALHOST", "http://auth.localhost:1337",
		"http://127.0.0.1:4000", "http://127.8.9.10", "https://[::1]:4000/v1", "http://localhost.:4000"} {
		require.NoError(t, sms.CheckLoopback(ok), ok)
	}
	for _, bad := range []string{"", "  ", "localhost:4000", "https://auth.example.com", "http://10.0.0.1",
		"http://0.0.0.0:4000", "http://[::]:4000", "http://localhost.evil.com", "http://127.0.0.1.nip.io", "/v1"} {
		require.Error(t, sms.CheckLoopback(bad), bad)
	}
}
