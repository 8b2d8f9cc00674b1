package config_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/sms"
)

const (
	smsAccountSID = "AC0123456789abcdef0123456789abcdef"
	smsMGSID      = "MG0123456789abcdef0123456789abcdef"
)

func twilioVars() map[string]string {
	return map[string]string{
		"AUTH_SMS_PASSWORDLESS_ENABLED":        "true",
		"AUTH_SMS_TWILIO_ACCOUNT_SID":          smsAccountSID,
		"AUTH_SMS_TWILIO_AUTH_TOKEN":           "tok",
		"AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID": smsMGSID,
	}
}

// Every field of sms.Config is a variable: declared from its tags, or one
// of the server's own settings copied in. Each is set to a value of its own
// and must arrive in the field.
func TestSMSConfigFieldsAreVariables(t *testing.T) {
	clearEnv(t)
	declared := map[string]config.Var{}
	for _, x := range config.Vars() {
		declared[x.Name] = x
	}
	vals := twilioVars()
	dir := t.TempDir()
	want := map[string]any{
		"AUTH_SMS_PROVIDER":          "twilio",
		"AUTH_SMS_TWILIO_API_URL":    "https://twilio.example.com",
		"AUTH_SMS_TWILIO_VERIFY_URL": "https://verify.example.com",
		"AUTH_SMS_MODICA_USERNAME":   "app",
		"AUTH_SMS_MODICA_PASSWORD":   "pw",
		"AUTH_SMS_MODICA_API_URL":    "https://modica.example.com",
		"AUTH_SMS_OTP_LENGTH":        8,
		"AUTH_SMS_OTP_EXPIRES_IN":    7 * time.Minute,
		"AUTH_SMS_OTP_MAX_ATTEMPTS":  3,
		"AUTH_SMS_PROVIDER_TIMEOUT":  4 * time.Second,
		"AUTH_BCRYPT_COST":           5,
		"AUTH_SERVER_URL":            "https://auth.example.com/v1",
		"AUTH_EMAIL_TEMPLATES_PATH":  dir,
		"AUTH_LOCALE_DEFAULT":        "fr",
	}
	raw := map[string]string{"AUTH_SMS_OTP_LENGTH": "8", "AUTH_SMS_OTP_EXPIRES_IN": "420", "AUTH_SMS_OTP_MAX_ATTEMPTS": "3",
		"AUTH_SMS_PROVIDER_TIMEOUT": "4s", "AUTH_BCRYPT_COST": "5", "AUTH_LOCALE_ALLOWED_LOCALES": "fr"}
	for k, v := range want {
		if s, ok := v.(string); ok {
			raw[k] = s
		}
	}
	for k, v := range raw {
		vals[k] = v
	}
	c, err := config.Load("", vals)
	require.NoError(t, err)
	got := reflect.ValueOf(c.SMS)
	typ := got.Type()
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("env"), ",")
		x, ok := declared[name]
		require.True(t, ok, "sms.Config.%s: %s is not a declared variable", f.Name, name)
		if strings.HasPrefix(name, "AUTH_SMS_") { // the others are declared with the server's settings
			require.Equal(t, opts == "ours", x.Ours, "%s: ours", name)
			require.Equal(t, f.Tag.Get("json") == "-", x.Secret, "%s: secret", name)
			require.NotEmpty(t, x.Doc, "%s has no doc tag", name)
		}
		if name == "AUTH_SMS_PASSWORDLESS_ENABLED" || name == "AUTH_SMS_TWILIO_ACCOUNT_SID" ||
			name == "AUTH_SMS_TWILIO_AUTH_TOKEN" || name == "AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID" {
			continue // set by twilioVars
		}
		w, ok := want[name]
		require.True(t, ok, "the test sets no value for %s", name)
		require.Equal(t, w, got.Field(i).Interface(), "%s did not reach sms.Config.%s", name, f.Name)
	}
}

func TestSMSConfigDefaults(t *testing.T) {
	clearEnv(t)
	c, err := config.Load("", nil)
	require.NoError(t, err)
	want := sms.DefaultConfig()
	want.ServerURL, want.BcryptCost = "http://localhost:4000", 10
	require.Equal(t, want, c.SMS, "the declared defaults are sms.DefaultConfig's")
}

func TestSMSConfigAtStart(t *testing.T) {
	with := func(extra map[string]string) map[string]string {
		m := twilioVars()
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	t.Run("twilio accepted", func(t *testing.T) {
		clearEnv(t)
		c, err := config.Load("", twilioVars())
		require.NoError(t, err)
		require.True(t, c.SMS.Enabled)
		require.NoError(t, c.SMS.Validate())
	})
	t.Run("log provider on the default (loopback) server URL", func(t *testing.T) {
		clearEnv(t)
		_, err := config.Load("", map[string]string{"AUTH_SMS_PASSWORDLESS_ENABLED": "true", "AUTH_SMS_PROVIDER": "LOG"})
		require.NoError(t, err)
	})
	refused := []struct {
		name string
		vals map[string]string
		want string
	}{
		{"log provider on a public server", map[string]string{"AUTH_SMS_PASSWORDLESS_ENABLED": "true", "AUTH_SMS_PROVIDER": "log",
			"AUTH_SERVER_URL": "https://auth.example.com"}, "AUTH_SMS_PROVIDER"},
		{"twilio without credentials", map[string]string{"AUTH_SMS_PASSWORDLESS_ENABLED": "true"}, "AUTH_SMS_TWILIO_ACCOUNT_SID: must be set"},
		{"unknown provider", map[string]string{"AUTH_SMS_PROVIDER": "sns"}, "AUTH_SMS_PROVIDER: must be one of twilio, modica, log, dev"},
		{"code length not a number", with(map[string]string{"AUTH_SMS_OTP_LENGTH": "six"}), "AUTH_SMS_OTP_LENGTH: must be an integer"},
		{"code length out of range", with(map[string]string{"AUTH_SMS_OTP_LENGTH": "4"}), "AUTH_SMS_OTP_LENGTH: must be between 6 and 10"},
		{"plain http provider", with(map[string]string{"AUTH_SMS_TWILIO_API_URL": "http://api.twilio.com"}), "AUTH_SMS_TWILIO_API_URL: must use https"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			_, err := config.Load("", tc.vals)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "tok", "no secret in the message")
		})
	}
}
