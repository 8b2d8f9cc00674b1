// Package config loads hasura-auth compatible settings (AUTH_*, HASURA_GRAPHQL_*)
// from the environment and an optional .env file into one typed, validated struct.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hasura-auth-go/auth/claims"
	"github.com/hasura-auth-go/auth/hasura"
	"github.com/hasura-auth-go/auth/secretbox"
	"github.com/spf13/viper"
)

// Config is loaded once at start; nothing reads the environment afterwards.
type Config struct {
	Port      int
	APIPrefix string
	ServerURL string
	ClientURL string
	LogLevel  string
	Version   string

	DatabaseURL       string
	DatabaseRetryFor  time.Duration
	HasuraGraphQLURL  string
	HasuraAdminSecret string
	JWTSecretRaw      string
	JWTSecret         *hasura.JWTSecret // nil: sign with a generated Ed25519 key kept in the database
	JWTIssuer         string
	JWKSMaxAge        time.Duration
	// Generated signing keys (used when HASURA_GRAPHQL_JWT_SECRET is unset).
	JWTAlgorithm          string
	KeyRotationInterval   time.Duration // 0: rotate only on demand
	EncryptionKey         []byte        // nil: secrets at rest are not encrypted
	EncryptionKeyPrevious [][]byte
	AccessTokenTTL        time.Duration
	RefreshTokenTTL       time.Duration
	RefreshReuseWindow    time.Duration
	// Custom claims: see package claims and the README.
	JWTCustomClaims         map[string]string // AUTH_JWT_CUSTOM_CLAIMS: claim → path in the user, or a {{path}} template
	JWTCustomClaimsDefaults map[string]any    // AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS: claim → value when it yields nothing
	JWTCustomClaimsFunction string            // AUTH_JWT_CUSTOM_CLAIMS_FUNCTION: [schema.]fn(user_id uuid) returns jsonb

	DisableSignup         bool
	DisableNewUsers       bool
	DefaultRole           string
	DefaultAllowedRoles   []string
	LocaleDefault         string
	AllowedLocales        []string
	AnonymousUsersEnabled bool
	EmailVerifiedRequired bool
	PasswordMinLength     int
	ConcealErrors         bool
	AllowedRedirectURLs   []string
	AllowedEmails         []string
	AllowedEmailDomains   []string
	BlockedEmails         []string
	BlockedEmailDomains   []string
	BcryptCost            int
	MaxRequestBodyBytes   int64
	ShutdownTimeout       time.Duration
	DatabaseMaxOpenConns  int
	DatabaseMaxIdleConns  int

	// Second factors and elevation (account/mfa.go, account/elevate.go).
	MFAEnabled           bool   // AUTH_MFA_ENABLED: users may enrol TOTP
	MFATOTPIssuer        string // issuer shown in authenticator apps
	RequireElevatedClaim string // disabled | recommended | required

	// Abuse (ratelimit/, handlers/abuse.go).
	RateLimit      RateLimitConfig
	TrustedProxies []string // AUTH_TRUSTED_PROXIES: IPs/CIDRs whose X-Forwarded-For hop is believed

	// Browsers (handlers/cookie.go, handlers/cors.go).
	RefreshTokenCookie bool     // AUTH_REFRESH_TOKEN_COOKIE: also hand the refresh token out as an httpOnly cookie
	CORSAllowedOrigins []string // AUTH_CORS_ALLOWED_ORIGINS: normalised origins; "*" = any (see CORSOrigins)

	// Operators.
	LogFormat    string // json | text
	MetricsToken string `json:"-"` // AUTH_METRICS_TOKEN: when set, /metrics wants it as a Bearer token

	// Email flows (config/email.go).
	Email EmailConfig

	// Sessions janitor, purge webhook, audit log (config/operators.go).
	Operators OperatorsConfig

	databaseURLFromPostgresConnection bool // names the right variable in errors
}

// defaults mirrors .env.example; every key is bound here so viper sees env vars for it.
var defaults = map[string]any{
	"AUTH_PORT":                                 4000,
	"AUTH_API_PREFIX":                           "",
	"AUTH_SERVER_URL":                           "",
	"AUTH_CLIENT_URL":                           "",
	"AUTH_LOG_LEVEL":                            "info",
	"HASURA_GRAPHQL_DATABASE_URL":               "",
	"POSTGRES_CONNECTION":                       "",
	"AUTH_DATABASE_RETRY_FOR":                   "30s",
	"AUTH_DATABASE_MAX_OPEN_CONNS":              20,
	"AUTH_DATABASE_MAX_IDLE_CONNS":              20,
	"HASURA_GRAPHQL_GRAPHQL_URL":                "",
	"HASURA_GRAPHQL_ADMIN_SECRET":               "",
	"HASURA_GRAPHQL_JWT_SECRET":                 "",
	"AUTH_JWT_ISSUER":                           "hasura-auth",
	"AUTH_JWKS_MAX_AGE":                         300,
	"AUTH_JWT_ALGORITHM":                        "EdDSA",
	"AUTH_JWT_KEY_ROTATION_INTERVAL":            "0",
	"AUTH_ENCRYPTION_KEY":                       "",
	"AUTH_ENCRYPTION_KEY_PREVIOUS":              "",
	"AUTH_ACCESS_TOKEN_EXPIRES_IN":              900,
	"AUTH_REFRESH_TOKEN_EXPIRES_IN":             2592000,
	"AUTH_REFRESH_TOKEN_REUSE_INTERVAL":         10,
	"AUTH_JWT_CUSTOM_CLAIMS":                    "",
	"AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS":           "",
	"AUTH_JWT_CUSTOM_CLAIMS_FUNCTION":           "",
	"AUTH_DISABLE_SIGNUP":                       false,
	"AUTH_DISABLE_NEW_USERS":                    false,
	"AUTH_USER_DEFAULT_ROLE":                    "user",
	"AUTH_USER_DEFAULT_ALLOWED_ROLES":           "me",
	"AUTH_LOCALE_DEFAULT":                       "en",
	"AUTH_LOCALE_ALLOWED_LOCALES":               "en",
	"AUTH_ANONYMOUS_USERS_ENABLED":              false,
	"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": true,
	"AUTH_PASSWORD_MIN_LENGTH":                  3,
	"AUTH_CONCEAL_ERRORS":                       false,
	"AUTH_ACCESS_CONTROL_ALLOWED_REDIRECT_URLS": "",
	"AUTH_ACCESS_CONTROL_ALLOWED_EMAILS":        "",
	"AUTH_ACCESS_CONTROL_ALLOWED_EMAIL_DOMAINS": "",
	"AUTH_ACCESS_CONTROL_BLOCKED_EMAILS":        "",
	"AUTH_ACCESS_CONTROL_BLOCKED_EMAIL_DOMAINS": "",
	"AUTH_BCRYPT_COST":                          10,
	"AUTH_MAX_REQUEST_BODY_BYTES":               65536,
	"AUTH_SHUTDOWN_TIMEOUT":                     "10s",
	// Email (config/email.go, mail/): hasura-auth's names and defaults.
	"AUTH_SMTP_HOST":                  "",
	"AUTH_SMTP_PORT":                  587,
	"AUTH_SMTP_USER":                  "",
	"AUTH_SMTP_PASS":                  "",
	"AUTH_SMTP_SENDER":                "",
	"AUTH_SMTP_AUTH_METHOD":           "PLAIN",
	"AUTH_SMTP_SECURE":                false,
	"AUTH_EMAIL_TEMPLATES_PATH":       "",
	"AUTH_EMAIL_PASSWORDLESS_ENABLED": false,
	"AUTH_OTP_EMAIL_ENABLED":          false,
	"AUTH_MFA_ENABLED":                false,
	"AUTH_MFA_TOTP_ISSUER":            "auth",
	"AUTH_REQUIRE_ELEVATED_CLAIM":     "disabled",
	// Rate limits: hasura-auth's names and defaults (ratelimit/).
	"AUTH_RATE_LIMIT_ENABLE":               false,
	"AUTH_RATE_LIMIT_GLOBAL_BURST":         100,
	"AUTH_RATE_LIMIT_GLOBAL_INTERVAL":      "1m",
	"AUTH_RATE_LIMIT_EMAIL_BURST":          10,
	"AUTH_RATE_LIMIT_EMAIL_INTERVAL":       "1h",
	"AUTH_RATE_LIMIT_SMS_BURST":            10,
	"AUTH_RATE_LIMIT_SMS_INTERVAL":         "1h",
	"AUTH_RATE_LIMIT_BRUTE_FORCE_BURST":    10,
	"AUTH_RATE_LIMIT_BRUTE_FORCE_INTERVAL": "5m",
	"AUTH_RATE_LIMIT_SIGNUPS_BURST":        10,
	"AUTH_RATE_LIMIT_SIGNUPS_INTERVAL":     "5m",
	"AUTH_RATE_LIMIT_REDIS_URL":            "",
	"AUTH_RATE_LIMIT_REDIS_PREFIX":         "hasura-auth:rl:",
	"AUTH_TRUSTED_PROXIES":                 "",
	"AUTH_REFRESH_TOKEN_COOKIE":            false,
	"AUTH_CORS_ALLOWED_ORIGINS":            "",
	"AUTH_LOG_FORMAT":                      "json",
	"AUTH_METRICS_TOKEN":                   "",
}

// DefaultDatabaseURL points at the PostgreSQL every machine of ours runs.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Load reads envFile (ignored when missing) then the environment, which wins.
// overrides, when given, win over both; tests use them instead of os.Setenv.
func Load(envFile string, overrides map[string]string) (*Config, error) {
	v := viper.New()
	for k, d := range defaults {
		v.SetDefault(k, d)
		_ = v.BindEnv(k)
	}
	if envFile != "" {
		if _, err := os.Stat(envFile); err == nil {
			// viper ranks env above config, so real env vars still win over .env
			v.SetConfigFile(envFile)
			v.SetConfigType("env")
			if err := v.ReadInConfig(); err != nil {
				return nil, envFileError(envFile, err)
			}
		}
	}
	for k, val := range overrides {
		v.Set(k, val)
	}
	return fromViper(v)
}

func fromViper(v *viper.Viper) (*Config, error) {
	var errs []error
	p := parser{v: v, errs: &errs, failed: map[string]bool{}}
	c := &Config{
		Port:                  p.int("AUTH_PORT"),
		APIPrefix:             strings.TrimRight(v.GetString("AUTH_API_PREFIX"), "/"),
		ServerURL:             v.GetString("AUTH_SERVER_URL"),
		ClientURL:             v.GetString("AUTH_CLIENT_URL"),
		LogLevel:              v.GetString("AUTH_LOG_LEVEL"),
		DatabaseURL:           firstNonEmpty(v.GetString("HASURA_GRAPHQL_DATABASE_URL"), v.GetString("POSTGRES_CONNECTION"), DefaultDatabaseURL),
		DatabaseRetryFor:      p.duration("AUTH_DATABASE_RETRY_FOR"),
		DatabaseMaxOpenConns:  p.int("AUTH_DATABASE_MAX_OPEN_CONNS"),
		DatabaseMaxIdleConns:  p.int("AUTH_DATABASE_MAX_IDLE_CONNS"),
		HasuraGraphQLURL:      v.GetString("HASURA_GRAPHQL_GRAPHQL_URL"),
		HasuraAdminSecret:     v.GetString("HASURA_GRAPHQL_ADMIN_SECRET"),
		JWTSecretRaw:          v.GetString("HASURA_GRAPHQL_JWT_SECRET"),
		JWTIssuer:             v.GetString("AUTH_JWT_ISSUER"),
		JWKSMaxAge:            p.seconds("AUTH_JWKS_MAX_AGE"),
		JWTAlgorithm:          strings.TrimSpace(v.GetString("AUTH_JWT_ALGORITHM")),
		KeyRotationInterval:   p.duration("AUTH_JWT_KEY_ROTATION_INTERVAL"),
		EncryptionKey:         p.hexKey("AUTH_ENCRYPTION_KEY"),
		EncryptionKeyPrevious: p.hexKeys("AUTH_ENCRYPTION_KEY_PREVIOUS"),
		AccessTokenTTL:        p.seconds("AUTH_ACCESS_TOKEN_EXPIRES_IN"),
		RefreshTokenTTL:       p.seconds("AUTH_REFRESH_TOKEN_EXPIRES_IN"),
		RefreshReuseWindow:    p.seconds("AUTH_REFRESH_TOKEN_REUSE_INTERVAL"),
		DisableSignup:         p.bool("AUTH_DISABLE_SIGNUP"),
		DisableNewUsers:       p.bool("AUTH_DISABLE_NEW_USERS"),
		DefaultRole:           strings.TrimSpace(v.GetString("AUTH_USER_DEFAULT_ROLE")),
		DefaultAllowedRoles:   list(v.GetString("AUTH_USER_DEFAULT_ALLOWED_ROLES")),
		LocaleDefault:         strings.TrimSpace(v.GetString("AUTH_LOCALE_DEFAULT")),
		AllowedLocales:        list(v.GetString("AUTH_LOCALE_ALLOWED_LOCALES")),
		AnonymousUsersEnabled: p.bool("AUTH_ANONYMOUS_USERS_ENABLED"),
		EmailVerifiedRequired: p.bool("AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED"),
		PasswordMinLength:     p.int("AUTH_PASSWORD_MIN_LENGTH"),
		ConcealErrors:         p.bool("AUTH_CONCEAL_ERRORS"),
		AllowedRedirectURLs:   list(v.GetString("AUTH_ACCESS_CONTROL_ALLOWED_REDIRECT_URLS")),
		AllowedEmails:         lowerList(v.GetString("AUTH_ACCESS_CONTROL_ALLOWED_EMAILS")),
		AllowedEmailDomains:   lowerList(v.GetString("AUTH_ACCESS_CONTROL_ALLOWED_EMAIL_DOMAINS")),
		BlockedEmails:         lowerList(v.GetString("AUTH_ACCESS_CONTROL_BLOCKED_EMAILS")),
		BlockedEmailDomains:   lowerList(v.GetString("AUTH_ACCESS_CONTROL_BLOCKED_EMAIL_DOMAINS")),
		BcryptCost:            p.int("AUTH_BCRYPT_COST"),
		MaxRequestBodyBytes:   int64(p.int("AUTH_MAX_REQUEST_BODY_BYTES")),
		ShutdownTimeout:       p.duration("AUTH_SHUTDOWN_TIMEOUT"),
		MFAEnabled:            p.bool("AUTH_MFA_ENABLED"),
		MFATOTPIssuer:         strings.TrimSpace(v.GetString("AUTH_MFA_TOTP_ISSUER")),
		RequireElevatedClaim:  strings.TrimSpace(v.GetString("AUTH_REQUIRE_ELEVATED_CLAIM")),
		Version:               Version,
		RateLimit: RateLimitConfig{
			Enabled:     p.bool("AUTH_RATE_LIMIT_ENABLE"),
			Global:      p.rateLimit("GLOBAL"),
			Email:       p.rateLimit("EMAIL"),
			SMS:         p.rateLimit("SMS"),
			BruteForce:  p.rateLimit("BRUTE_FORCE"),
			Signups:     p.rateLimit("SIGNUPS"),
			RedisURL:    strings.TrimSpace(v.GetString("AUTH_RATE_LIMIT_REDIS_URL")),
			RedisPrefix: v.GetString("AUTH_RATE_LIMIT_REDIS_PREFIX"),
		},
		TrustedProxies:     list(v.GetString("AUTH_TRUSTED_PROXIES")),
		RefreshTokenCookie: p.bool("AUTH_REFRESH_TOKEN_COOKIE"),
		CORSAllowedOrigins: list(v.GetString("AUTH_CORS_ALLOWED_ORIGINS")),
		LogFormat:          strings.ToLower(strings.TrimSpace(v.GetString("AUTH_LOG_FORMAT"))),
		MetricsToken:       strings.TrimSpace(v.GetString("AUTH_METRICS_TOKEN")),
	}
	c.Email = p.email()
	c.Operators = p.operators()
	c.databaseURLFromPostgresConnection = strings.TrimSpace(v.GetString("HASURA_GRAPHQL_DATABASE_URL")) == "" &&
		strings.TrimSpace(v.GetString("POSTGRES_CONNECTION")) != ""
	c.DefaultAllowedRoles = withRole(c.DefaultAllowedRoles, c.DefaultRole)
	if c.ServerURL == "" {
		c.ServerURL = fmt.Sprintf("http://localhost:%d", c.Port)
	}
	if c.JWTSecretRaw != "" {
		s, err := hasura.ParseJWTSecret(c.JWTSecretRaw)
		if err != nil {
			errs = append(errs, fmt.Errorf("HASURA_GRAPHQL_JWT_SECRET: %w", err))
		} else {
			c.JWTSecret = s
		}
	}
	p.jsonObject(claims.VarClaims, &c.JWTCustomClaims)
	p.jsonObject(claims.VarDefaults, &c.JWTCustomClaimsDefaults)
	c.JWTCustomClaimsFunction = strings.TrimSpace(v.GetString(claims.VarFunction))
	// a value that did not parse was reported as written; its zero value would
	// only add a misleading second error ("got 0")
	errs = append(errs, c.validate(p.failed))
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// gotenv quotes the offending line in its errors; that line may be part of a
// key (an unquoted multi-line PEM, a JSON secret missing its "="), and the
// error is printed at start, so report its number instead.
var gotenvLineErr = regexp.MustCompile("(?s)^line `(.*)` (doesn't match format|has an unset variable)$")

func envFileError(envFile string, err error) error {
	var perr viper.ConfigParseError
	if !errors.As(err, &perr) {
		return fmt.Errorf("read %s: %w", envFile, err) // I/O error: names only the file
	}
	what := "is not a valid .env file"
	cause := perr.Unwrap()
	switch m := gotenvLineErr.FindStringSubmatch(cause.Error()); {
	case m != nil:
		problem := "is not NAME=VALUE (quote a value that spans lines)"
		if m[2] == "has an unset variable" {
			problem = "exports an unset variable"
		}
		what = "line " + envFileLineNumber(envFile, m[1]) + " " + problem
	case cause.Error() == "missing quotes":
		what = "has a quoted value that is never closed"
	}
	return fmt.Errorf("read %s: %s (the line is not shown: it may hold a secret)", envFile, what)
}

// envFileLineNumber finds the 1-based number of the line gotenv rejected; "?" if not found.
func envFileLineNumber(envFile, rejected string) string {
	first, _, _ := strings.Cut(rejected, "\n")
	first = strings.TrimSpace(first)
	b, err := os.ReadFile(envFile)
	if err != nil {
		return "?"
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(strings.TrimPrefix(l, "\uFEFF")) == first {
			return strconv.Itoa(i + 1)
		}
	}
	return "?"
}

// Version is set at build time with -ldflags "-X .../config.Version=…".
var Version = "0.1.0-dev"

// Validate checks values that parse but make no sense; each error names its variable.
func (c *Config) Validate() error { return c.validate(nil) }

func (c *Config) validate(skip map[string]bool) error {
	var errs []error
	bad := func(name, format string, args ...any) {
		if skip[name] {
			return
		}
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	if c.Port < 1 || c.Port > 65535 {
		bad("AUTH_PORT", "must be between 1 and 65535, got %d", c.Port)
	}
	if c.APIPrefix != "" && !strings.HasPrefix(c.APIPrefix, "/") {
		bad("AUTH_API_PREFIX", "must start with /, got %q", c.APIPrefix)
	}
	if u, err := url.Parse(c.ServerURL); err != nil || u.Scheme == "" || u.Host == "" {
		bad("AUTH_SERVER_URL", "must be an absolute URL")
	}
	if c.ClientURL != "" {
		if u, err := url.Parse(c.ClientURL); err != nil || u.Scheme == "" || u.Host == "" {
			bad("AUTH_CLIENT_URL", "must be an absolute URL")
		}
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		name := "HASURA_GRAPHQL_DATABASE_URL"
		if c.databaseURLFromPostgresConnection {
			name = "POSTGRES_CONNECTION"
		}
		bad(name, "must be a postgres:// URL")
	}
	if c.AccessTokenTTL < time.Second {
		bad("AUTH_ACCESS_TOKEN_EXPIRES_IN", "must be at least 1 second")
	}
	if c.RefreshTokenTTL < time.Minute {
		bad("AUTH_REFRESH_TOKEN_EXPIRES_IN", "must be at least 60 seconds")
	}
	if c.RefreshReuseWindow < 0 || c.RefreshReuseWindow > 5*time.Minute {
		bad("AUTH_REFRESH_TOKEN_REUSE_INTERVAL", "must be between 0 and 300 seconds")
	}
	if c.JWKSMaxAge < 0 {
		bad("AUTH_JWKS_MAX_AGE", "must not be negative")
	}
	if c.DefaultRole == "" {
		bad("AUTH_USER_DEFAULT_ROLE", "must not be empty")
	}
	if c.LocaleDefault == "" || len(c.LocaleDefault) != 2 {
		bad("AUTH_LOCALE_DEFAULT", "must be a two-letter locale, got %q", c.LocaleDefault)
	}
	if len(c.AllowedLocales) == 0 {
		c.AllowedLocales = []string{c.LocaleDefault}
	}
	if c.PasswordMinLength < 1 {
		bad("AUTH_PASSWORD_MIN_LENGTH", "must be at least 1")
	}
	if c.MFATOTPIssuer == "" {
		bad("AUTH_MFA_TOTP_ISSUER", "must not be empty")
	}
	switch c.RequireElevatedClaim {
	case ElevatedDisabled, ElevatedRecommended, ElevatedRequired:
	default:
		bad("AUTH_REQUIRE_ELEVATED_CLAIM", "must be disabled, recommended or required, got %q", c.RequireElevatedClaim)
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		bad("AUTH_BCRYPT_COST", "must be between 4 and 31")
	}
	if c.MaxRequestBodyBytes < 1024 {
		bad("AUTH_MAX_REQUEST_BODY_BYTES", "must be at least 1024")
	}
	if c.DatabaseMaxOpenConns < 1 {
		bad("AUTH_DATABASE_MAX_OPEN_CONNS", "must be at least 1")
	}
	if !slices.Contains(SigningAlgorithms, c.JWTAlgorithm) {
		bad("AUTH_JWT_ALGORITHM", "must be one of %s, got %q", strings.Join(SigningAlgorithms, ", "), c.JWTAlgorithm)
	}
	if c.KeyRotationInterval < 0 || (c.KeyRotationInterval > 0 && c.KeyRotationInterval < c.JWKSMaxAge+c.AccessTokenTTL) {
		bad("AUTH_JWT_KEY_ROTATION_INTERVAL", "must be 0 (off) or at least AUTH_JWKS_MAX_AGE + AUTH_ACCESS_TOKEN_EXPIRES_IN (%s)", c.JWKSMaxAge+c.AccessTokenTTL)
	}
	if len(c.EncryptionKeyPrevious) > 0 && c.EncryptionKey == nil {
		bad("AUTH_ENCRYPTION_KEY_PREVIOUS", "is set but AUTH_ENCRYPTION_KEY is not: set the new master key too")
	}
	c.validateEmail(bad)
	if c.JWTSecret != nil && c.JWTSecret.SignKey == nil {
		bad("HASURA_GRAPHQL_JWT_SECRET", "cannot sign tokens: an asymmetric type needs signing_key (PEM private key); jwk_url alone is for verifying")
	}
	c.validateHardening(bad)
	c.validateOperators(bad)
	if !skip[claims.VarClaims] && !skip[claims.VarDefaults] {
		if err := c.CustomClaims().Validate(); err != nil {
			errs = append(errs, err) // each line already names its variable
		}
	}
	return errors.Join(errs...)
}

// SigningAlgorithms are the algorithms of keys the server generates itself.
var SigningAlgorithms = []string{"EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256"}

// AUTH_REQUIRE_ELEVATED_CLAIM values.
const (
	ElevatedDisabled    = "disabled"
	ElevatedRecommended = "recommended" // only users with a second factor must elevate
	ElevatedRequired    = "required"
)

// RedactedDatabaseURL is the database URL without its password, for log lines.
func (c *Config) RedactedDatabaseURL() string {
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return "(unparseable database URL)"
	}
	return u.Redacted()
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func lowerList(s string) []string { return list(strings.ToLower(s)) }

func withRole(roles []string, role string) []string {
	for _, r := range roles {
		if r == role {
			return roles
		}
	}
	return append(roles, role)
}

// Keyring returns the master keys for secrets at rest, nil when none is set.
func (c *Config) Keyring() (*secretbox.Box, error) {
	if c.EncryptionKey == nil {
		return nil, nil
	}
	k, err := secretbox.New(c.EncryptionKey, c.EncryptionKeyPrevious...)
	if err != nil {
		return nil, fmt.Errorf("AUTH_ENCRYPTION_KEY: %w", err)
	}
	return k, nil
}

// Keys lists, sorted, every environment variable the configuration reads
// (deploy_test.go checks .env.example and docker-compose.yaml against it).
func Keys() []string {
	keys := make([]string, 0, len(defaults))
	for k := range defaults {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
