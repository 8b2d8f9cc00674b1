package sms

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Provider names accepted in AUTH_SMS_PROVIDER (case-insensitive).
const (
	ProviderTwilio = "twilio"
	ProviderModica = "modica"
	ProviderLog    = "log"
	// ProviderDev is hasura-auth's name for its console provider; it is our
	// log provider, under the same loopback rule.
	ProviderDev = "dev"
)

// Default provider endpoints; every one is a setting so tests and regional
// or white-label endpoints can replace it.
const (
	DefaultTwilioAPIURL    = "https://api.twilio.com"
	DefaultTwilioVerifyURL = "https://verify.twilio.com"
	DefaultModicaAPIURL    = "https://api.modicagroup.com"
)

// Config is the SMS sign-in's configuration, and the declaration of its
// variables: package config derives the SMS section of the configuration
// (parsing, .env.example, docs/configuration.md) from these tags, so a field
// added here is a variable there. Tags:
//
//   - env: the variable; ",ours" marks one hasura-auth does not have. The
//     four that are not AUTH_SMS_* (AUTH_BCRYPT_COST, AUTH_SERVER_URL,
//     AUTH_EMAIL_TEMPLATES_PATH, AUTH_LOCALE_DEFAULT) are declared with the
//     rest of the server's settings and copied in.
//   - doc: its line in the reference.
//   - oneof: the values accepted (lower case).
//
// Durations are read as seconds (or Go durations such as 5m). DefaultConfig
// gives the defaults.
type Config struct {
	Enabled  bool   `env:"AUTH_SMS_PASSWORDLESS_ENABLED" doc:"true: POST /signin/passwordless/sms sends sign-in codes by SMS (docs/sms.md)."`
	Provider string `env:"AUTH_SMS_PROVIDER" oneof:"twilio,modica,log,dev" doc:"twilio, modica, or log (dev is hasura-auth's name for it): log writes codes to the log instead of sending them, and is refused unless AUTH_SERVER_URL is a loopback address."`

	TwilioAccountSID string `env:"AUTH_SMS_TWILIO_ACCOUNT_SID" doc:"Twilio account SID (AC…)."`
	TwilioAuthToken  string `env:"AUTH_SMS_TWILIO_AUTH_TOKEN" json:"-" doc:"Twilio auth token."`
	// TwilioMessagingServiceID picks the Twilio API: a Verify service SID
	// (VA…) sends through Twilio Verify, which makes and checks the code; a
	// Messaging Service SID (MG…) goes in MessagingServiceSid; anything else
	// (a phone number, a short code, an alphanumeric sender ID) goes in From.
	TwilioMessagingServiceID string `env:"AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID" doc:"A Messaging Service SID (MG…), a sender (phone number, short code, alphanumeric ID), or a Verify service SID (VA…): then Twilio Verify makes, sends and checks the codes."`
	TwilioAPIURL             string `env:"AUTH_SMS_TWILIO_API_URL,ours" doc:"Base URL of Twilio's Messages API."`
	TwilioVerifyURL          string `env:"AUTH_SMS_TWILIO_VERIFY_URL,ours" doc:"Base URL of Twilio's Verify API."`

	ModicaUsername string `env:"AUTH_SMS_MODICA_USERNAME" doc:"Modica Mobile Gateway application name."`
	ModicaPassword string `env:"AUTH_SMS_MODICA_PASSWORD" json:"-" doc:"Modica Mobile Gateway password."`
	// ModicaAPIURL: the path /rest/sms/v2/messages is added.
	ModicaAPIURL string `env:"AUTH_SMS_MODICA_API_URL,ours" doc:"Base URL of Modica's Mobile Gateway (regional gateways have their own)."`

	// CodeLength: Twilio Verify sets its own.
	CodeLength int `env:"AUTH_SMS_OTP_LENGTH,ours" doc:"Digits of a sign-in code, 6 to 10 (Twilio Verify: as its service is set up)."`
	// CodeTTL: with Twilio Verify the lifetime is Twilio's, 10 minutes.
	CodeTTL time.Duration `env:"AUTH_SMS_OTP_EXPIRES_IN,ours" doc:"Seconds a code works, 60 to 3600 (Twilio Verify: 10 minutes, Twilio's)."`
	// MaxAttempts: the last wrong code locks the code; a new one must be asked for.
	MaxAttempts int           `env:"AUTH_SMS_OTP_MAX_ATTEMPTS,ours" doc:"Wrong codes one code survives, 1 to 20; then a new code must be asked for."`
	Timeout     time.Duration `env:"AUTH_SMS_PROVIDER_TIMEOUT,ours" doc:"Seconds each call to the SMS provider may take."`

	// Shared with the rest of the server.
	BcryptCost int `env:"AUTH_BCRYPT_COST"`
	// ServerURL: the log provider is refused unless its host is a loopback address.
	ServerURL string `env:"AUTH_SERVER_URL"`
	// TemplatesPath may hold <locale>/signin-passwordless-sms/body.txt
	// overrides, where hasura-auth reads its SMS templates.
	TemplatesPath string `env:"AUTH_EMAIL_TEMPLATES_PATH"`
	// DefaultLocale is the template used when the user's locale has none.
	DefaultLocale string `env:"AUTH_LOCALE_DEFAULT"`
}

// DefaultConfig is Config with every default filled in; SMS stays off.
func DefaultConfig() Config {
	return Config{
		Provider:        ProviderTwilio,
		TwilioAPIURL:    DefaultTwilioAPIURL,
		TwilioVerifyURL: DefaultTwilioVerifyURL,
		ModicaAPIURL:    DefaultModicaAPIURL,
		CodeLength:      6,
		CodeTTL:         5 * time.Minute,
		MaxAttempts:     5,
		Timeout:         10 * time.Second,
		BcryptCost:      10,
		DefaultLocale:   "en",
	}
}

// Limits on the settings of ours.
const (
	minCodeLength  = 6 // fewer digits make guessing within MaxAttempts too likely
	maxCodeLength  = 10
	maxCodeTTL     = time.Hour
	maxMaxAttempts = 20
	maxTimeout     = 2 * time.Minute
	minBcryptCost  = 4
	maxBcryptCost  = 15 // a code is checked on every guess; higher costs make a denial-of-service tool
)

// Twilio SID prefixes (two letters, then 32 hex digits).
const (
	sidAccount          = "AC"
	sidVerifyService    = "VA"
	sidMessagingService = "MG"
)

// provider is Provider lower-cased and trimmed, hasura-auth's empty value
// meaning twilio.
func (c Config) provider() string {
	p := strings.ToLower(strings.TrimSpace(c.Provider))
	if p == "" {
		return ProviderTwilio
	}
	return p
}

// usesTwilioVerify reports whether Twilio Verify makes the codes.
func (c Config) usesTwilioVerify() bool {
	return c.provider() == ProviderTwilio && strings.HasPrefix(strings.TrimSpace(c.TwilioMessagingServiceID), sidVerifyService)
}

// Validate checks the configuration; with SMS off only Enabled is read.
// Every problem is reported, each naming its variable.
func (c Config) Validate() error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	switch p := c.provider(); p {
	case ProviderTwilio:
		c.validateTwilio(bad)
	case ProviderModica:
		if strings.TrimSpace(c.ModicaUsername) == "" {
			bad("AUTH_SMS_MODICA_USERNAME", "must be set when AUTH_SMS_PROVIDER is modica")
		}
		if c.ModicaPassword == "" {
			bad("AUTH_SMS_MODICA_PASSWORD", "must be set when AUTH_SMS_PROVIDER is modica")
		}
		checkBaseURL(bad, "AUTH_SMS_MODICA_API_URL", c.ModicaAPIURL)
	case ProviderLog, ProviderDev:
		if err := CheckLoopback(c.ServerURL); err != nil {
			bad("AUTH_SMS_PROVIDER", "%s writes codes to the log, so it is refused: %v", p, err)
		}
	default:
		bad("AUTH_SMS_PROVIDER", "must be twilio, modica or log, got %q", c.Provider)
	}
	if c.CodeLength < minCodeLength || c.CodeLength > maxCodeLength {
		bad("AUTH_SMS_OTP_LENGTH", "must be between %d and %d digits, got %d", minCodeLength, maxCodeLength, c.CodeLength)
	}
	if c.CodeTTL < time.Minute || c.CodeTTL > maxCodeTTL {
		bad("AUTH_SMS_OTP_EXPIRES_IN", "must be between 60 and %d seconds, got %s", int(maxCodeTTL.Seconds()), c.CodeTTL)
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > maxMaxAttempts {
		bad("AUTH_SMS_OTP_MAX_ATTEMPTS", "must be between 1 and %d, got %d", maxMaxAttempts, c.MaxAttempts)
	}
	if c.Timeout <= 0 || c.Timeout > maxTimeout {
		bad("AUTH_SMS_PROVIDER_TIMEOUT", "must be more than 0 and at most %s, got %s", maxTimeout, c.Timeout)
	}
	if c.BcryptCost < minBcryptCost || c.BcryptCost > maxBcryptCost {
		bad("AUTH_BCRYPT_COST", "must be between %d and %d to hash SMS codes, got %d", minBcryptCost, maxBcryptCost, c.BcryptCost)
	}
	return errors.Join(errs...)
}

func (c Config) validateTwilio(bad func(name, format string, args ...any)) {
	sid := strings.TrimSpace(c.TwilioAccountSID)
	switch {
	case sid == "":
		bad("AUTH_SMS_TWILIO_ACCOUNT_SID", "must be set when AUTH_SMS_PROVIDER is twilio")
	case strings.HasPrefix(sid, sidVerifyService):
		bad("AUTH_SMS_TWILIO_ACCOUNT_SID", "is a Verify service SID (VA…): put it in AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID and the account SID (AC…) here")
	case !isSID(sid, sidAccount):
		bad("AUTH_SMS_TWILIO_ACCOUNT_SID", "must be a Twilio account SID: AC and 32 hex digits")
	}
	if c.TwilioAuthToken == "" {
		bad("AUTH_SMS_TWILIO_AUTH_TOKEN", "must be set when AUTH_SMS_PROVIDER is twilio")
	}
	from := strings.TrimSpace(c.TwilioMessagingServiceID)
	switch {
	case from == "":
		bad("AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID", "must be set when AUTH_SMS_PROVIDER is twilio: a Messaging Service SID (MG…), a Verify service SID (VA…) or a sender")
	case strings.HasPrefix(from, sidVerifyService) && !isSID(from, sidVerifyService):
		bad("AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID", "looks like a Verify service SID but is not VA and 32 hex digits")
	case strings.HasPrefix(from, sidMessagingService) && !isSID(from, sidMessagingService):
		bad("AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID", "looks like a Messaging Service SID but is not MG and 32 hex digits")
	}
	if c.usesTwilioVerify() {
		checkBaseURL(bad, "AUTH_SMS_TWILIO_VERIFY_URL", c.TwilioVerifyURL)
	} else {
		checkBaseURL(bad, "AUTH_SMS_TWILIO_API_URL", c.TwilioAPIURL)
	}
}

func isSID(s, prefix string) bool {
	if len(s) != 34 || !strings.HasPrefix(s, prefix) {
		return false
	}
	for _, r := range s[2:] {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// checkBaseURL wants an absolute URL without query or fragment; credentials
// travel in its requests, so plain http is allowed to loopback hosts only.
func checkBaseURL(bad func(name, format string, args ...any), name, raw string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		bad(name, "must be an absolute http(s) URL, got %q", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		bad(name, "must be a base URL without user, query or fragment")
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		bad(name, "must use https (plain http is for loopback test servers only)")
	}
}

// CheckLoopback returns nil when serverURL (AUTH_SERVER_URL) names a
// loopback host: localhost, a *.localhost name, 127.0.0.0/8 or ::1. The log
// provider writes codes to the log and is for a developer's own machine.
func CheckLoopback(serverURL string) error {
	if strings.TrimSpace(serverURL) == "" {
		return errors.New("AUTH_SERVER_URL is empty; set it to a loopback URL such as http://localhost:4000")
	}
	u, err := url.Parse(strings.TrimSpace(serverURL))
	if err != nil || u.Host == "" {
		return errors.New("AUTH_SERVER_URL is not an absolute URL")
	}
	if !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("AUTH_SERVER_URL host %q is not a loopback address", u.Hostname())
	}
	return nil
}

func isLoopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
