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
	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/hasura-auth-go/auth/secretbox"
	"github.com/hasura-auth-go/auth/sms"
	"github.com/hasura-auth-go/auth/webauthn"
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

	DatabaseURL string
	// MigrationsDatabaseURL (POSTGRES_MIGRATIONS_CONNECTION) runs the
	// migrations, e.g. past a pooler or as a role that may alter schema auth;
	// "" = DatabaseURL.
	MigrationsDatabaseURL string
	// DatabasePooler (AUTH_DATABASE_POOLER): "none", or "transaction" when
	// DatabaseURL is a transaction-pooling proxy, where session state
	// (named prepared statements, LISTEN) does not survive a transaction.
	DatabasePooler string
	// DatabaseDirectURL (AUTH_DATABASE_DIRECT_URL) carries LISTEN past the pooler.
	DatabaseDirectURL string
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
	MFAEnabled    bool   // AUTH_MFA_ENABLED: users may enrol TOTP
	MFATOTPIssuer string // issuer shown in authenticator apps
	// AUTH_MFA_SKIP_FOR_PASSWORDLESS: email links and codes sign a TOTP user
	// in without the code (hasura-auth's behaviour)
	MFASkipForPasswordless bool
	PATMaxLifetime         time.Duration // AUTH_PAT_MAX_LIFETIME: the furthest expiresAt POST /pat accepts
	RequireElevatedClaim   string        // disabled | recommended | required

	// Abuse (ratelimit/, handlers/abuse.go).
	RateLimit      RateLimitConfig
	TrustedProxies []string // AUTH_TRUSTED_PROXIES: IPs/CIDRs whose X-Forwarded-For hop is believed

	// Browsers (handlers/cookie.go, handlers/cors.go).
	RefreshTokenCookie bool     // AUTH_REFRESH_TOKEN_COOKIE: also hand the refresh token out as an httpOnly cookie
	CORSAllowedOrigins []string // AUTH_CORS_ALLOWED_ORIGINS: normalised origins; "*" = any (see CORSOrigins)

	// The OpenID Connect provider (oidcprovider/, config/oauth2.go).
	OAuth2Provider OAuth2ProviderConfig

	// Operators.
	LogFormat     string // json | text
	LogFormatText bool   // AUTH_LOG_FORMAT_TEXT (hasura-auth's): text logs
	Debug         bool   // AUTH_DEBUG (hasura-auth's): debug logs
	MetricsToken  string `json:"-"` // AUTH_METRICS_TOKEN: when set, /metrics wants it as a Bearer token
	MetricsAddr   string // AUTH_METRICS_ADDR: /metrics on a listener of its own; "" = none
	// EnableChangeEnv is hasura-auth's AUTH_ENABLE_CHANGE_ENV, refused at start (vars.go).
	EnableChangeEnv bool

	// New users (account/): Gravatar avatars, Have I Been Pwned, Turnstile.
	Gravatar            GravatarConfig
	PasswordHIBPEnabled bool   // AUTH_PASSWORD_HIBP_ENABLED: refuse passwords found in Have I Been Pwned
	HIBPURL             string // AUTH_PASSWORD_HIBP_URL: the Pwned Passwords range API
	TurnstileSecret     string `json:"-"` // AUTH_TURNSTILE_SECRET: Cloudflare Turnstile on sign-up routes
	TurnstileVerifyURL  string // AUTH_TURNSTILE_VERIFY_URL: Turnstile's siteverify endpoint

	// Sign-in with OAuth and OpenID Connect providers (social/, oauth/providers).
	Providers           providers.Config
	ProviderStateCookie bool // AUTH_PROVIDER_STATE_COOKIE: the browser that starts a provider sign-in must finish it

	WebAuthn webauthn.Config // AUTH_WEBAUTHN_*, served (package webauthn); its ClientURL is AUTH_CLIENT_URL

	// SMS is the SMS sign-in's configuration; its variables are declared by
	// its fields' tags (config/sms.go).
	SMS sms.Config

	// Warnings are things Load noticed that do not stop the start (an unknown
	// AUTH_* variable, a templates path that is missing); the server logs them.
	Warnings []string

	// Email flows (config/email.go).
	Email EmailConfig

	// Sessions janitor, purge webhook, audit log (config/operators.go).
	Operators OperatorsConfig

	databaseURLFrom    string // "POSTGRES_CONNECTION" when DatabaseURL came from it, for errors
	postgresConnection string // POSTGRES_CONNECTION as given (derive picks the database URL)
}

// defaultTemplatesPath is AUTH_EMAIL_TEMPLATES_PATH's default, hasura-auth's.
const defaultTemplatesPath = "/app/email-templates"

// DefaultDatabaseURL points at the PostgreSQL every machine of ours runs
// (hasura-auth's default, postgres://postgres:postgres@localhost:5432/local,
// names a database nobody has).
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Load reads envFile (ignored when missing) then the environment, which wins.
// overrides, when given, win over both; tests use them instead of os.Setenv.
// A variable set to the empty string takes its default.
func Load(envFile string, overrides map[string]string) (*Config, error) {
	v := viper.New()
	for _, x := range Vars() {
		_ = v.BindEnv(x.Name)
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
	given := map[string]string{}
	for _, x := range Vars() {
		if s := fmt.Sprint(v.Get(x.Name)); v.Get(x.Name) != nil && s != "" {
			given[x.Name] = s
		}
	}
	c, err := build(given)
	if err != nil {
		return nil, err
	}
	// Names nothing reads: from the environment, the .env file and overrides.
	var names []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		names = append(names, name)
	}
	for _, k := range v.AllKeys() {
		names = append(names, strings.ToUpper(k))
	}
	for k := range overrides {
		names = append(names, k)
	}
	c.Warnings = append(c.Warnings, unknownVariables(names)...)
	return c, nil
}

// build parses given (variable → raw value, only those set) over the
// defaults, derives what depends on several variables and validates.
func build(given map[string]string) (*Config, error) {
	var errs []error
	p := parser{errs: &errs, failed: map[string]bool{}}
	c := &Config{Version: Version}
	for _, x := range Vars() {
		raw, ok := given[x.Name]
		if !ok {
			raw = x.Default
		}
		x.bind.set(&p, c, x.Name, raw)
	}
	c.derive(given, p)
	// a value that did not parse was reported as written; its zero value would
	// only add a misleading second error ("got 0")
	errs = append(errs, c.validate(p.failed))
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// derive fills what depends on several variables.
func (c *Config) derive(given map[string]string, p parser) {
	// hasura-auth reads POSTGRES_CONNECTION first, then HASURA_GRAPHQL_DATABASE_URL.
	c.DatabaseURL = DefaultDatabaseURL
	if u := strings.TrimSpace(given["HASURA_GRAPHQL_DATABASE_URL"]); u != "" {
		c.DatabaseURL = u
	}
	if u := strings.TrimSpace(given["POSTGRES_CONNECTION"]); u != "" {
		c.DatabaseURL, c.databaseURLFrom = u, "POSTGRES_CONNECTION"
	}
	if pc, hg := strings.TrimSpace(given["POSTGRES_CONNECTION"]), strings.TrimSpace(given["HASURA_GRAPHQL_DATABASE_URL"]); pc != "" && hg != "" && pc != hg {
		c.Warnings = append(c.Warnings, "POSTGRES_CONNECTION and HASURA_GRAPHQL_DATABASE_URL differ: the server uses POSTGRES_CONNECTION, as hasura-auth does")
	}
	c.DefaultAllowedRoles = withRole(c.DefaultAllowedRoles, c.DefaultRole)
	c.WebAuthn.ClientURL = c.ClientURL // the default RP ID and an origin always allowed
	if c.ServerURL == "" {
		// nhost's meaning: the public URL of the API, prefix included.
		c.ServerURL = fmt.Sprintf("http://localhost:%d", c.Port)
		if strings.HasPrefix(c.APIPrefix, "/") { // else AUTH_API_PREFIX's own error says it
			c.ServerURL += c.APIPrefix
		}
	}
	c.ServerURL = strings.TrimRight(c.ServerURL, "/")
	if c.Debug {
		c.LogLevel = "debug"
	}
	if c.LogFormatText {
		if f, set := given["AUTH_LOG_FORMAT"]; set && strings.ToLower(strings.TrimSpace(f)) != "text" {
			*p.errs = append(*p.errs, fmt.Errorf("AUTH_LOG_FORMAT_TEXT: true asks for text logs but AUTH_LOG_FORMAT is %q: set one of them", f))
		}
		c.LogFormat = "text"
	}
	if c.Email.TemplatesPath != "" {
		if info, err := os.Stat(c.Email.TemplatesPath); err != nil || !info.IsDir() {
			// hasura-auth's image has its default; ours has the templates built in.
			if c.Email.TemplatesPath != defaultTemplatesPath {
				c.Warnings = append(c.Warnings, fmt.Sprintf("AUTH_EMAIL_TEMPLATES_PATH: %q is not a directory: the built-in templates are used", c.Email.TemplatesPath))
			}
			c.Email.TemplatesPath = ""
		}
	}
	c.deriveSMS()
	if c.JWTSecretRaw != "" {
		s, err := hasura.ParseJWTSecret(c.JWTSecretRaw)
		if err != nil {
			*p.errs = append(*p.errs, fmt.Errorf("HASURA_GRAPHQL_JWT_SECRET: %w", err))
			p.failed["HASURA_GRAPHQL_JWT_SECRET"] = true
		} else {
			c.JWTSecret = s
		}
	}
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
		name := c.databaseURLFrom
		if name == "" {
			name = "HASURA_GRAPHQL_DATABASE_URL"
		}
		bad(name, "must be a postgres:// URL")
	}
	if c.MigrationsDatabaseURL != "" {
		if u, err := url.Parse(c.MigrationsDatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("POSTGRES_MIGRATIONS_CONNECTION", "must be a postgres:// URL")
		}
	}
	switch c.DatabasePooler {
	case "", "none", "transaction":
	default:
		bad("AUTH_DATABASE_POOLER", "must be one of none, transaction")
	}
	if c.DatabaseDirectURL != "" {
		if u, err := url.Parse(c.DatabaseDirectURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("AUTH_DATABASE_DIRECT_URL", "must be a postgres:// URL")
		}
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
	if len(c.LocaleDefault) < 2 || len(c.LocaleDefault) > 3 {
		bad("AUTH_LOCALE_DEFAULT", "must be a two- or three-letter locale, got %q", c.LocaleDefault)
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
	if c.PATMaxLifetime <= 0 {
		bad("AUTH_PAT_MAX_LIFETIME", "must be positive")
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
	c.validateOAuth2Provider(bad)
	c.validateCompat(bad)
	if err := c.SMS.Validate(); err != nil {
		errs = append(errs, err) // each line already names its variable
	}
	if err := c.Providers.Validate(); err != nil {
		errs = append(errs, err) // each line names its variable
	}
	if !skip[claims.VarClaims] && !skip[claims.VarDefaults] {
		if err := c.CustomClaims().Validate(); err != nil {
			errs = append(errs, err) // each line already names its variable
		}
	}
	if err := c.WebAuthn.Validate(); err != nil {
		errs = append(errs, err) // each line names its variable
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

// Pooled reports whether DatabaseURL goes through a transaction-pooling proxy.
func (c *Config) Pooled() bool { return c.DatabasePooler == "transaction" }

// ListenDatabaseURL is where the LISTEN connection goes: the database URL
// itself unless it is pooled; then the direct URL, or the migrations' one;
// "" when there is none (the caches stay off).
func (c *Config) ListenDatabaseURL() string {
	switch {
	case !c.Pooled():
		return c.DatabaseURL
	case c.DatabaseDirectURL != "":
		return c.DatabaseDirectURL
	default:
		return c.MigrationsDatabaseURL
	}
}

// RedactedDatabaseURL is the database URL without its password, for log lines.
func (c *Config) RedactedDatabaseURL() string {
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return "(unparseable database URL)"
	}
	return u.Redacted()
}

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
	var keys []string
	for _, x := range Vars() {
		keys = append(keys, x.Name)
	}
	slices.Sort(keys)
	return keys
}
