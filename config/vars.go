package config

import (
	"strings"
	"time"

	"github.com/hasura-auth-go/auth/claims"
)

//go:generate go run ./internal/gendocs

// Sections declares every variable, in the order .env.example and
// docs/configuration.md show them. To add one: a row here (or in
// vars_signin.go) binding it to its Config field, then go generate ./config.
func Sections() []Section {
	return append(coreSections(), signInSections()...)
}

// Vars lists every declared variable in order.
func Vars() []Var {
	var out []Var
	for _, s := range Sections() {
		out = append(out, s.Vars...)
	}
	return out
}

func coreSections() []Section {
	return []Section{
		{Title: "Server", Vars: []Var{
			v("AUTH_PORT", "4000", toInt(func(c *Config) *int { return &c.Port }),
				"Port the HTTP server listens on."),
			v("AUTH_API_PREFIX", "", toPrefix(func(c *Config) *string { return &c.APIPrefix }),
				"Path prefix every route is mounted under (the nhost client uses /v1); /healthz also answers unprefixed."),
			v("AUTH_SERVER_URL", "", toText(func(c *Config) *string { return &c.ServerURL }),
				"Public URL of this API, prefix included (e.g. https://auth.example.com/v1): email links are this URL + /verify. Default http://localhost:<AUTH_PORT><AUTH_API_PREFIX>.").
				example("http://localhost:4000"),
			v("AUTH_CLIENT_URL", "", toText(func(c *Config) *string { return &c.ClientURL }),
				"Front-end URL; redirectTo may always point under it.").example("http://localhost:3000"),
			v("AUTH_LOG_LEVEL", "info", toLower(func(c *Config) *string { return &c.LogLevel }),
				"debug, info, warn or error.").ours(),
			v("AUTH_DEBUG", "false", toBool(func(c *Config) *bool { return &c.Debug }),
				"true: debug logs (the same as AUTH_LOG_LEVEL=debug)."),
			v("AUTH_LOG_FORMAT", "json", toLower(func(c *Config) *string { return &c.LogFormat }),
				"Log lines as json or text.").ours(),
			v("AUTH_LOG_FORMAT_TEXT", "false", toBool(func(c *Config) *bool { return &c.LogFormatText }),
				"true: text logs (the same as AUTH_LOG_FORMAT=text)."),
			v("AUTH_MAX_REQUEST_BODY_BYTES", "65536", toInt64(func(c *Config) *int64 { return &c.MaxRequestBodyBytes }),
				"Largest request body accepted, bytes.").ours(),
			v("AUTH_SHUTDOWN_TIMEOUT", "10s", toDuration(func(c *Config) *time.Duration { return &c.ShutdownTimeout }),
				"How long a stop waits for requests in flight.").ours(),
			v("AUTH_METRICS_TOKEN", "", toText(func(c *Config) *string { return &c.MetricsToken }),
				"When set, GET /metrics needs Authorization: Bearer <this token>, and is served on the API port too. "+
					"Unset: /metrics is only on AUTH_METRICS_ADDR (its series show pool, process and failure figures an attacker should not read).").ours().secret(),
			v("AUTH_METRICS_ADDR", "127.0.0.1:4001", toText(func(c *Config) *string { return &c.MetricsAddr }),
				"host:port of a listener serving only GET /metrics (loopback by default; :4001 for a scraper in another container). Empty: none.").ours(),
			v("AUTH_ENABLE_CHANGE_ENV", "false", toBool(func(c *Config) *bool { return &c.EnableChangeEnv }),
				"hasura-auth's test switch for POST /change-env.").
				refused("it lets any caller rewrite the configuration (hasura-auth's own test switch)"),
		}},
		{Title: "Database", Vars: []Var{
			v("HASURA_GRAPHQL_DATABASE_URL", "", toText(func(c *Config) *string { return &c.DatabaseURL }),
				"PostgreSQL holding schema auth (the database Hasura serves). Default "+DefaultDatabaseURL+".").
				example(DefaultDatabaseURL),
			v("POSTGRES_CONNECTION", "", toText(func(c *Config) *string { return &c.postgresConnection }),
				"hasura-auth's other name for the database URL; when both are set this one wins, as in hasura-auth."),
			v("POSTGRES_MIGRATIONS_CONNECTION", "", toText(func(c *Config) *string { return &c.MigrationsDatabaseURL }),
				"Database URL the migrations run over (e.g. not through a pooler, or as the schema's owner); empty: the URL above."),
			v("AUTH_DATABASE_POOLER", "none", toLower(func(c *Config) *string { return &c.DatabasePooler }),
				"transaction: the database URL goes through a pooler in transaction mode (PgBouncer pool_mode=transaction, Supavisor, RDS Proxy): queries keep no named prepared statements (pgx's cache_describe mode, unless the URL sets default_query_exec_mode), and the LISTEN connection uses the direct URL below. none: a direct connection (or a session-mode pooler). docs/scaling.md.").ours(),
			v("AUTH_DATABASE_DIRECT_URL", "", toText(func(c *Config) *string { return &c.DatabaseDirectURL }),
				"With AUTH_DATABASE_POOLER=transaction: a direct (unpooled) URL of the same database for the one LISTEN connection that keeps the per-instance caches exact; empty: POSTGRES_MIGRATIONS_CONNECTION, and without either the caches are off (Bearer checks and GET /user ask the database every time).").ours(),
			v("AUTH_DATABASE_RETRY_FOR", "30s", toDuration(func(c *Config) *time.Duration { return &c.DatabaseRetryFor }),
				"How long to keep retrying an unreachable database at start.").ours(),
			v("AUTH_DATABASE_MAX_OPEN_CONNS", "20", toInt(func(c *Config) *int { return &c.DatabaseMaxOpenConns }),
				"Upper bound on open database connections.").ours(),
			v("AUTH_DATABASE_MAX_IDLE_CONNS", "20", toInt(func(c *Config) *int { return &c.DatabaseMaxIdleConns }),
				"Database connections kept open while idle.").ours(),
		}},
		{Title: "Hasura and tokens", Vars: []Var{
			v("HASURA_GRAPHQL_GRAPHQL_URL", "", toText(func(c *Config) *string { return &c.HasuraGraphQLURL }),
				"Hasura's GraphQL endpoint; with the admin secret set, the auth tables' metadata is applied at start through <this URL minus /v1/graphql>/v1/metadata, in the background.").
				example("http://localhost:8080/v1/graphql"),
			v("HASURA_GRAPHQL_ADMIN_SECRET", "", toText(func(c *Config) *string { return &c.HasuraAdminSecret }),
				"Hasura's admin secret; with the URL above, the server applies the auth tables' metadata (and can query Hasura).").secret(),
			v("HASURA_GRAPHQL_JWT_SECRET", "", toText(func(c *Config) *string { return &c.JWTSecretRaw }),
				`Hasura's JWT secret JSON, e.g. {"type":"HS256","key":"<32 or more characters>"}. Unset: the server generates an Ed25519 key, keeps it in auth.jwt_signing_keys and publishes it at /.well-known/jwks.json; point Hasura at it with {"jwk_url": "http://auth:4000/.well-known/jwks.json"}.`).secret(),
			v("AUTH_JWT_ISSUER", "hasura-auth", toText(func(c *Config) *string { return &c.JWTIssuer }),
				"iss claim of access tokens.").ours(),
			v("AUTH_JWKS_MAX_AGE", "300", toSeconds(func(c *Config) *time.Duration { return &c.JWKSMaxAge }),
				"Seconds Hasura may cache /.well-known/jwks.json (Cache-Control: max-age).").ours(),
			v("AUTH_JWT_ALGORITHM", "EdDSA", toText(func(c *Config) *string { return &c.JWTAlgorithm }),
				"Algorithm of the keys the server generates when HASURA_GRAPHQL_JWT_SECRET is unset: "+strings.Join(SigningAlgorithms, ", ")+". Changing it rotates without a gap.").ours(),
			v("AUTH_JWT_KEY_ROTATION_INTERVAL", "0", toDuration(func(c *Config) *time.Duration { return &c.KeyRotationInterval }),
				"Rotate generated keys automatically this often (e.g. 720h); 0 = only with rotate-keys.").ours(),
			v("AUTH_ENCRYPTION_KEY", "", toHexKey(func(c *Config) *[]byte { return &c.EncryptionKey }),
				"Master key (openssl rand -hex 32) that encrypts signing keys and TOTP secrets at rest; without it they are stored in clear.").ours().secret(),
			v("AUTH_ENCRYPTION_KEY_PREVIOUS", "", toHexKeys(func(c *Config) *[][]byte { return &c.EncryptionKeyPrevious }),
				"Earlier master keys still accepted for decryption while changing keys; values they sealed are re-encrypted under AUTH_ENCRYPTION_KEY at start.").ours().secret(),
			v("AUTH_ACCESS_TOKEN_EXPIRES_IN", "900", toSeconds(func(c *Config) *time.Duration { return &c.AccessTokenTTL }),
				"Access token lifetime, seconds."),
			v("AUTH_REFRESH_TOKEN_EXPIRES_IN", "2592000", toSeconds(func(c *Config) *time.Duration { return &c.RefreshTokenTTL }),
				"Refresh token lifetime, seconds, sliding on each refresh (30 days)."),
			v("AUTH_REFRESH_TOKEN_REUSE_INTERVAL", "10", toSeconds(func(c *Config) *time.Duration { return &c.RefreshReuseWindow }),
				"Seconds during which a just-rotated refresh token still returns the rotation's result.").ours(),
			v(claims.VarClaims, "", toJSONObject(`claim name to path, e.g. {"org-id":"profile.organisation.id"}`, func(c *Config) *map[string]string { return &c.JWTCustomClaims }),
				`Custom claims: claim → path in the user, or a "{{path}}" template; keys become lower-case x-hasura-<key>; e.g. '{"org-id":"profile.organisation.id","plan":"metadata.plan"}'.`),
			v(claims.VarDefaults, "", toJSONObject(`claim name to value, e.g. {"org-id":"none"}`, func(c *Config) *map[string]any { return &c.JWTCustomClaimsDefaults }),
				`Claim → value used when its path yields nothing (or Hasura fails), e.g. '{"org-id":"none"}'.`),
			v(claims.VarFunction, "", toText(func(c *Config) *string { return &c.JWTCustomClaimsFunction }),
				"[schema.]function(user_id uuid) returns jsonb whose object is merged into the claims; runs in the sign-in's transaction.").ours(),
		}},
		{Title: "Sign-up and users", Vars: []Var{
			v("AUTH_DISABLE_SIGNUP", "false", toBool(func(c *Config) *bool { return &c.DisableSignup }),
				"true: every sign-up endpoint answers 403 signup-disabled."),
			v("AUTH_DISABLE_NEW_USERS", "false", toBool(func(c *Config) *bool { return &c.DisableNewUsers }),
				"true: new users are created disabled and cannot sign in until enabled."),
			v("AUTH_USER_DEFAULT_ROLE", "user", toText(func(c *Config) *string { return &c.DefaultRole }),
				"Role a new user gets as x-hasura-default-role."),
			v("AUTH_USER_DEFAULT_ALLOWED_ROLES", "me", toList(func(c *Config) *[]string { return &c.DefaultAllowedRoles }),
				"Comma-separated roles a new user may use; the default role is always added."),
			v("AUTH_LOCALE_DEFAULT", "en", toText(func(c *Config) *string { return &c.LocaleDefault }),
				"Two- or three-letter locale of a user who names none."),
			v("AUTH_LOCALE_ALLOWED_LOCALES", "en", toList(func(c *Config) *[]string { return &c.AllowedLocales }),
				"Comma-separated locales users may choose."),
			v("AUTH_ANONYMOUS_USERS_ENABLED", "false", toBool(func(c *Config) *bool { return &c.AnonymousUsersEnabled }),
				"true: POST /signin/anonymous creates anonymous users."),
			v("AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED", "true", toBool(func(c *Config) *bool { return &c.EmailVerifiedRequired }),
				"true: sign-in needs a verified email; sign-up then answers without a session and mails a link (needs AUTH_SMTP_HOST)."),
			v("AUTH_PASSWORD_MIN_LENGTH", "3", toInt(func(c *Config) *int { return &c.PasswordMinLength }),
				"Shortest password accepted; hasura-auth's default is 3, we recommend at least 9."),
			v("AUTH_PASSWORD_HIBP_ENABLED", "false", toBool(func(c *Config) *bool { return &c.PasswordHIBPEnabled }),
				"true: refuse passwords found in Have I Been Pwned (only the first 5 hex characters of the password's SHA-1 leave the server); while the service cannot be reached, passwords are refused with 503."),
			v("AUTH_PASSWORD_HIBP_URL", "https://api.pwnedpasswords.com", toText(func(c *Config) *string { return &c.HIBPURL }),
				"Base URL of the Pwned Passwords range API (<url>/range/<first 5 hex of SHA-1>).").ours(),
			v("AUTH_BCRYPT_COST", "10", toInt(func(c *Config) *int { return &c.BcryptCost }),
				"bcrypt cost of password hashes (4-31).").ours(),
			v("AUTH_CONCEAL_ERRORS", "false", toBool(func(c *Config) *bool { return &c.ConcealErrors }),
				"true: answers never tell whether an account exists (such errors become 400 invalid-request)."),
			v("AUTH_GRAVATAR_ENABLED", "true", toBool(func(c *Config) *bool { return &c.Gravatar.Enabled }),
				"true: a user who signs up with an email gets their Gravatar URL as avatarUrl."),
			v("AUTH_GRAVATAR_DEFAULT", "blank", toOneOf([]string{"blank", "identicon", "monsterid", "wavatar", "retro", "robohash", "mp", "404"}, func(c *Config) *string { return &c.Gravatar.Default }),
				"Image Gravatar shows for an address it does not know."),
			v("AUTH_GRAVATAR_RATING", "g", toOneOf([]string{"g", "pg", "r", "x"}, func(c *Config) *string { return &c.Gravatar.Rating }),
				"Highest Gravatar rating shown."),
			v("AUTH_TURNSTILE_SECRET", "", toText(func(c *Config) *string { return &c.TurnstileSecret }),
				"Cloudflare Turnstile secret: when set, POST /signup/* needs a passed challenge in the X-Cf-Turnstile-Response header.").secret(),
			v("AUTH_TURNSTILE_VERIFY_URL", "https://challenges.cloudflare.com/turnstile/v0/siteverify", toText(func(c *Config) *string { return &c.TurnstileVerifyURL }),
				"Turnstile's siteverify endpoint.").ours(),
		}},
		{Title: "Access control", Vars: []Var{
			v("AUTH_ACCESS_CONTROL_ALLOWED_REDIRECT_URLS", "", toList(func(c *Config) *[]string { return &c.AllowedRedirectURLs }),
				"Comma-separated URLs redirectTo may point under, besides AUTH_CLIENT_URL."),
			v("AUTH_ACCESS_CONTROL_ALLOWED_EMAILS", "", toLowerList(func(c *Config) *[]string { return &c.AllowedEmails }),
				"Comma-separated emails allowed to sign up; empty: any."),
			v("AUTH_ACCESS_CONTROL_ALLOWED_EMAIL_DOMAINS", "", toLowerList(func(c *Config) *[]string { return &c.AllowedEmailDomains }),
				"Comma-separated email domains allowed to sign up; empty: any."),
			v("AUTH_ACCESS_CONTROL_BLOCKED_EMAILS", "", toLowerList(func(c *Config) *[]string { return &c.BlockedEmails }),
				"Comma-separated emails refused at sign-up."),
			v("AUTH_ACCESS_CONTROL_BLOCKED_EMAIL_DOMAINS", "", toLowerList(func(c *Config) *[]string { return &c.BlockedEmailDomains }),
				"Comma-separated email domains refused at sign-up."),
		}},
		{Title: "Email", Intro: "README \"Email\". Without AUTH_SMTP_HOST, flows that must mail refuse before writing anything (500 \"email could not be sent\").", Vars: []Var{
			v("AUTH_SMTP_HOST", "", toText(func(c *Config) *string { return &c.Email.SMTPHost }),
				"SMTP server."),
			v("AUTH_SMTP_PORT", "587", toInt(func(c *Config) *int { return &c.Email.SMTPPort }),
				"SMTP port: 587 for STARTTLS, 465 with AUTH_SMTP_SECURE=true, 1025 for Mailpit."),
			v("AUTH_SMTP_USER", "", toRawText(func(c *Config) *string { return &c.Email.SMTPUser }),
				"SMTP user; empty: no authentication. Credentials are only sent over TLS (or to localhost)."),
			v("AUTH_SMTP_PASS", "", toRawText(func(c *Config) *string { return &c.Email.SMTPPass }),
				"SMTP password.").secret(),
			v("AUTH_SMTP_SENDER", "", toText(func(c *Config) *string { return &c.Email.SMTPSender }),
				`From: address of every mail, e.g. "My App <auth@example.com>"; required with AUTH_SMTP_HOST.`),
			v("AUTH_SMTP_AUTH_METHOD", "PLAIN", toUpper(func(c *Config) *string { return &c.Email.SMTPAuthMethod }),
				"PLAIN, LOGIN or CRAM-MD5."),
			v("AUTH_SMTP_SECURE", "false", toBool(func(c *Config) *bool { return &c.Email.SMTPSecure }),
				"true: implicit TLS from the first byte (port 465); false: STARTTLS whenever the server offers it."),
			v("AUTH_SMTP_X_SMTPAPI_HEADER", "", toText(func(c *Config) *string { return &c.Email.SMTPAPIHeader }),
				"Sent as the X-SMTPAPI header of every mail (SendGrid's per-message settings, e.g. categories)."),
			v("AUTH_EMAIL_TEMPLATES_PATH", defaultTemplatesPath, toText(func(c *Config) *string { return &c.Email.TemplatesPath }),
				"Directory of template overrides, hasura-auth's layout: <path>/<locale>/<template>/{subject.txt,body.html,body.txt}; when it does not exist the built-in templates are used."),
			v("AUTH_EMAIL_PASSWORDLESS_ENABLED", "false", toBool(func(c *Config) *bool { return &c.Email.PasswordlessEnabled }),
				"true: POST /signin/passwordless/email mails magic links (and creates users when sign-up is open)."),
			v("AUTH_OTP_EMAIL_ENABLED", "false", toBool(func(c *Config) *bool { return &c.Email.OTPEmailEnabled }),
				"true: POST /signin/otp/email mails 6-digit sign-in codes."),
		}},
		{Title: "Second factor and elevation", Vars: []Var{
			v("AUTH_MFA_ENABLED", "false", toBool(func(c *Config) *bool { return &c.MFAEnabled }),
				"true: users may enrol TOTP. Off, users who already have TOTP active still need their code to sign in."),
			v("AUTH_MFA_TOTP_ISSUER", "auth", toText(func(c *Config) *string { return &c.MFATOTPIssuer }),
				"Issuer shown in authenticator apps."),
			v("AUTH_MFA_SKIP_FOR_PASSWORDLESS", "false", toBool(func(c *Config) *bool { return &c.MFASkipForPasswordless }),
				"false: for a user with TOTP active, email links (GET /verify) and email codes stop at an MFA ticket, as password sign-in does. true: they hand out a session without the code, as hasura-auth does.").ours(),
			v("AUTH_REQUIRE_ELEVATED_CLAIM", "disabled", toText(func(c *Config) *string { return &c.RequireElevatedClaim }),
				"Elevated claim (x-hasura-auth-elevated) for sensitive endpoints (create PAT, enable TOTP, change email/password): disabled | recommended (only users with TOTP active must elevate) | required (everyone)."),
			v("AUTH_PAT_MAX_LIFETIME", "8760h", toDuration(func(c *Config) *time.Duration { return &c.PATMaxLifetime }),
				"Longest lifetime of a personal access token: POST /pat with an expiresAt further away is refused (400 pat-lifetime-exceeded).").ours(),
		}},
		{Title: "OpenID Connect provider", Intro: "Other applications sign their users in with this server (docs/oidc-provider.md). The names and defaults are nhost's current auth's; the standalone hasura-auth has none of them, hence **ours**.", Vars: oauth2ProviderVars()},
		{Title: "Rate limits", Intro: "hasura-auth's names and defaults. Each limit is a burst of BURST requests per client IP, refilled at BURST per INTERVAL; over it: 429 + Retry-After.", Vars: append(append([]Var{
			v("AUTH_RATE_LIMIT_ENABLE", "false", toBool(func(c *Config) *bool { return &c.RateLimit.Enabled }),
				"true: enforce the limits below."),
		}, rateLimitVars()...),
			v("AUTH_RATE_LIMIT_EMAIL_IS_GLOBAL", "false", toBool(func(c *Config) *bool { return &c.RateLimit.EmailIsGlobal }),
				"true: the email limit counts every client together (one bucket for the server) instead of per IP."),
			v("AUTH_RATE_LIMIT_REDIS_URL", "", toText(func(c *Config) *string { return &c.RateLimit.RedisURL }),
				"Redis shared by every instance (e.g. redis://127.0.0.1:6379/0).").ours().secret(),
			v("AUTH_RATE_LIMIT_REDIS_PREFIX", "hasura-auth:rl:", toRawText(func(c *Config) *string { return &c.RateLimit.RedisPrefix }),
				"Prefix of the rate-limit keys in Redis.").ours(),
			v("AUTH_RATE_LIMIT_MEMCACHE_SERVER", "", toText(func(c *Config) *string { return &c.RateLimit.MemcacheServer }),
				"memcached (host:port, comma-separated for several) shared by every instance, as nhost runs it. Neither this nor Redis: limits are per instance, in memory."),
			v("AUTH_RATE_LIMIT_MEMCACHE_PREFIX", "", toRawText(func(c *Config) *string { return &c.RateLimit.MemcachePrefix }),
				"Prefix of the rate-limit keys in memcached."),
			v("AUTH_TRUSTED_PROXIES", "", toList(func(c *Config) *[]string { return &c.TrustedProxies }),
				"Comma-separated IPs/CIDRs of your reverse proxies; only their X-Forwarded-For entries are believed. Empty: the socket's address is the client.").ours(),
		)},
		{Title: "Browsers", Vars: []Var{
			v("AUTH_REFRESH_TOKEN_COOKIE", "false", toBool(func(c *Config) *bool { return &c.RefreshTokenCookie }),
				"true: sign-in, sign-up and /token also set the refresh token as an httpOnly cookie, and /token reads it when the body has none.").ours(),
			v("AUTH_CORS_ALLOWED_ORIGINS", "", toList(func(c *Config) *[]string { return &c.CORSAllowedOrigins }),
				"Comma-separated origins (https://app.example.com) browsers may call from with credentials. Empty: any origin, unless cookie mode is on (then AUTH_CLIENT_URL's).").ours(),
		}},
		{Title: "Operators", Intro: "Sessions janitor, purge webhook, audit log (README \"Operators\").", Vars: []Var{
			v("AUTH_WEBHOOK_KEY", "", toRawText(func(c *Config) *string { return &c.Operators.WebhookKey }),
				"Key a cron job sends in X-Webhook-Key to POST /sessions/purge-expired (16+ characters); empty: admin secret only.").ours().secret(),
			v("AUTH_JANITOR_INTERVAL", "5m", toDuration(func(c *Config) *time.Duration { return &c.Operators.JanitorInterval }),
				"How often each instance purges expired sessions, retired tokens, tickets and old audit rows; 0: never.").ours(),
			v("AUTH_JANITOR_BATCH_SIZE", "500", toInt(func(c *Config) *int { return &c.Operators.JanitorBatchSize }),
				"Rows per purge statement (small batches keep locks short).").ours(),
			v("AUTH_AUDIT_LOG_RETENTION", "2160h", toDuration(func(c *Config) *time.Duration { return &c.Operators.AuditLogRetention }),
				"How long auth.audit_log keeps events (2160h = 90 days); 0: forever.").ours(),
		}},
	}
}

// rateLimitVars are the AUTH_RATE_LIMIT_<NAME>_{BURST,INTERVAL} pairs.
func rateLimitVars() []Var {
	limits := []struct {
		name, what, burst, interval string
		field                       func(c *Config) *RateLimit
	}{
		{"GLOBAL", "Every request, per IP.", "100", "1m", func(c *Config) *RateLimit { return &c.RateLimit.Global }},
		{"EMAIL", "Requests that send an email, per IP and per target email address.", "10", "1h", func(c *Config) *RateLimit { return &c.RateLimit.Email }},
		{"SMS", "Requests that send an SMS, per IP and per target phone number.", "10", "1h", func(c *Config) *RateLimit { return &c.RateLimit.SMS }},
		{"BRUTE_FORCE", "Sign-in, elevation, /verify and OTP attempts, per IP and per (target email or phone number, IP); also failed guesses at one target from all IPs, past which a Turnstile answer is asked (or, without Turnstile, IPs that failed are refused).", "10", "5m", func(c *Config) *RateLimit { return &c.RateLimit.BruteForce }},
		{"SIGNUPS", "Sign-ups, per IP.", "10", "5m", func(c *Config) *RateLimit { return &c.RateLimit.Signups }},
		{"OAUTH2_SERVER", "Calls of applications' servers to /oauth2/token, /oauth2/introspect and /oauth2/revoke, per IP.", "100", "5m",
			func(c *Config) *RateLimit { return &c.RateLimit.OAuth2Server }},
	}
	var out []Var
	for _, l := range limits {
		burst := v("AUTH_RATE_LIMIT_"+l.name+"_BURST", l.burst, toInt(func(c *Config) *int { return &l.field(c).Burst }), l.what)
		interval := v("AUTH_RATE_LIMIT_"+l.name+"_INTERVAL", l.interval, toDuration(func(c *Config) *time.Duration { return &l.field(c).Interval }),
			"Refill interval of that limit.")
		if l.name == "OAUTH2_SERVER" { // nhost's current auth has it; hasura-auth does not
			burst, interval = burst.ours(), interval.ours()
		}
		out = append(out, burst, interval)
	}
	return out
}
