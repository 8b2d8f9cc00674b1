package config_test

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/config"
)

// ourDefaults are hasura-auth variables whose default is deliberately ours.
var ourDefaults = map[string]string{
	// hasura-auth's default names a database nobody has (…/local); ours is
	// the server every machine of ours runs, and HASURA_GRAPHQL_DATABASE_URL
	// or POSTGRES_CONNECTION is always set in a real deployment.
	"HASURA_GRAPHQL_DATABASE_URL": "",
	"POSTGRES_CONNECTION":         "",
}

// Every variable hasura-auth reads is declared, with its default, as
// hasura-auth's (not marked ours); every variable not marked ours is one of
// hasura-auth's.
func TestHasuraAuthVariablesDeclared(t *testing.T) {
	f, err := os.Open("testdata/hasura-auth-variables.txt")
	require.NoError(t, err)
	defer f.Close()
	theirs := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, def, ok := strings.Cut(line, "=")
		require.True(t, ok, line)
		theirs[name] = def
	}
	require.NoError(t, sc.Err())
	require.Len(t, theirs, 151)

	declared := map[string]config.Var{}
	for _, x := range config.Vars() {
		require.NotContains(t, declared, x.Name, "declared twice")
		declared[x.Name] = x
	}
	for name, def := range theirs {
		x, ok := declared[name]
		if !assert.True(t, ok, "%s: hasura-auth reads it; declare it in config/vars*.go", name) {
			continue
		}
		assert.False(t, x.Ours, "%s is hasura-auth's, not ours", name)
		if want, deliberate := ourDefaults[name]; deliberate {
			def = want
		}
		assert.Equal(t, def, x.Default, "%s: hasura-auth's default", name)
	}
	for name, x := range declared {
		if !x.Ours {
			_, ok := theirs[name]
			assert.True(t, ok, "%s is marked as hasura-auth's but hasura-auth does not read it: mark it .ours()", name)
		}
		assert.NotEmpty(t, x.Doc, name)
		assert.NotEmpty(t, x.Type(), name)
	}
}

// .env.example and docs/configuration.md are what the declarations render.
func TestGeneratedFilesUpToDate(t *testing.T) {
	for path, want := range map[string]string{
		"../.env.example":          config.EnvExample(),
		"../docs/configuration.md": config.Reference(),
	} {
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		require.True(t, string(got) == want, "%s is stale: run go generate ./config", path)
	}
}

// Each gate (a switch for a method this release lacks, or a refused
// setting) stops the start with a message naming its variable; leaving it
// off, or setting the method's other variables, does not.
func TestGatesStopTheStart(t *testing.T) {
	gates := 0
	for _, x := range config.Vars() {
		if !x.Gate {
			continue
		}
		gates++
		value := "some-value"
		if x.Type() == "true | false" {
			value = "true"
		}
		t.Run(x.Name, func(t *testing.T) {
			clearEnv(t)
			_, err := config.Load("", map[string]string{x.Name: value})
			require.Error(t, err)
			require.Contains(t, err.Error(), x.Name+": is set")
			if x.Refused == "" {
				require.Contains(t, err.Error(), "not available in this release yet")
			}
		})
	}
	require.Equal(t, 1, gates, "AUTH_ENABLE_CHANGE_ENV")

	inert := map[string]string{
		"AUTH_PROVIDER_GITHUB_CLIENT_ID": "id", "AUTH_PROVIDER_GITHUB_CLIENT_SECRET": "secret", "AUTH_PROVIDER_GITHUB_SCOPE": "user:email,read:org",
		"AUTH_PROVIDER_AZUREAD_TENANT": "contoso", "AUTH_SMS_PROVIDER": "modica", "AUTH_WEBAUTHN_RP_ORIGINS": "https://a.example.com,https://b.example.com",
		"AUTH_WEBAUTHN_ATTESTATION_TIMEOUT": "30000", "AUTH_PROVIDER_WORKOS_DEFAULT_ORGANIZATION": "org_1",
	}
	c, err := config.Load("", inert)
	require.NoError(t, err)
	assert.Equal(t, []string{"user:email", "read:org"}, c.Providers.GitHub.Scope)
	assert.Equal(t, "secret", c.Providers.GitHub.ClientSecret)
	assert.Equal(t, "contoso", c.Providers.AzureAD.Tenant)
	assert.Equal(t, "modica", c.SMS.Provider)
	assert.Equal(t, 30*time.Second, c.WebAuthn.AttestationTimeout)
	assert.Equal(t, "org_1", c.Providers.WorkOS.DefaultOrganization)
	d, err := config.Load("", nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"openid", "email", "profile"}, d.Providers.Google.Scope, "hasura-auth's default scopes")
	assert.Equal(t, "common", d.Providers.EntraID.Tenant)
	assert.Equal(t, "twilio", d.SMS.Provider)
	assert.Equal(t, time.Minute, d.WebAuthn.AttestationTimeout)
	assert.True(t, d.ProviderStateCookie)
}

// The variables hasura-auth reads that this release honours beyond the old
// set, each through the real loader.
func TestHasuraAuthVariables(t *testing.T) {
	runLoadCases(t, []loadCase{
		{"AUTH_SERVER_URL is the public URL of the API, prefix included",
			map[string]string{"AUTH_SERVER_URL": "https://auth.example.com/v1/", "AUTH_API_PREFIX": "/v1"},
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, "https://auth.example.com/v1", c.ServerURL)
				assert.Equal(t, "/v1", c.APIPrefix)
			}},
		{"AUTH_SERVER_URL unset: localhost with the prefix",
			map[string]string{"AUTH_API_PREFIX": "/v1", "AUTH_PORT": "4100"},
			func(t *testing.T, c *config.Config) { assert.Equal(t, "http://localhost:4100/v1", c.ServerURL) }},
		{"POSTGRES_MIGRATIONS_CONNECTION",
			map[string]string{"POSTGRES_CONNECTION": "postgres://app@pooler:6432/db", "POSTGRES_MIGRATIONS_CONNECTION": "postgres://owner@db:5432/db"},
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, "postgres://app@pooler:6432/db", c.DatabaseURL)
				assert.Equal(t, "postgres://owner@db:5432/db", c.MigrationsDatabaseURL)
			}},
		{"AUTH_LOG_FORMAT_TEXT", map[string]string{"AUTH_LOG_FORMAT_TEXT": "true"},
			func(t *testing.T, c *config.Config) { assert.Equal(t, "text", c.LogFormat) }},
		{"AUTH_DEBUG", map[string]string{"AUTH_DEBUG": "true", "AUTH_LOG_LEVEL": "warn"},
			func(t *testing.T, c *config.Config) { assert.Equal(t, "debug", c.LogLevel) }},
		{"Gravatar defaults", nil,
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, config.GravatarConfig{Enabled: true, Default: "blank", Rating: "g"}, c.Gravatar)
			}},
		{"Gravatar set", map[string]string{"AUTH_GRAVATAR_ENABLED": "false", "AUTH_GRAVATAR_DEFAULT": "identicon", "AUTH_GRAVATAR_RATING": "pg"},
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, config.GravatarConfig{Enabled: false, Default: "identicon", Rating: "pg"}, c.Gravatar)
			}},
		{"HIBP", map[string]string{"AUTH_PASSWORD_HIBP_ENABLED": "true", "AUTH_PASSWORD_HIBP_URL": "http://127.0.0.1:9999"},
			func(t *testing.T, c *config.Config) {
				assert.True(t, c.PasswordHIBPEnabled)
				assert.Equal(t, "http://127.0.0.1:9999", c.HIBPURL)
			}},
		{"HIBP default URL", nil,
			func(t *testing.T, c *config.Config) {
				assert.False(t, c.PasswordHIBPEnabled)
				assert.Equal(t, "https://api.pwnedpasswords.com", c.HIBPURL)
			}},
		{"Turnstile", map[string]string{"AUTH_TURNSTILE_SECRET": "0x4AAA-secret", "AUTH_TURNSTILE_VERIFY_URL": "http://127.0.0.1:9998/siteverify"},
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, "0x4AAA-secret", c.TurnstileSecret)
				assert.Equal(t, "http://127.0.0.1:9998/siteverify", c.TurnstileVerifyURL)
			}},
		{"X-SMTPAPI", map[string]string{"AUTH_SMTP_X_SMTPAPI_HEADER": `{"category":["auth"]}`},
			func(t *testing.T, c *config.Config) { assert.Equal(t, `{"category":["auth"]}`, c.Email.SMTPAPIHeader) }},
		{"email limit global", map[string]string{"AUTH_RATE_LIMIT_EMAIL_IS_GLOBAL": "true"},
			func(t *testing.T, c *config.Config) { assert.True(t, c.RateLimit.EmailIsGlobal) }},
		{"memcached", map[string]string{"AUTH_RATE_LIMIT_MEMCACHE_SERVER": "127.0.0.1:11211", "AUTH_RATE_LIMIT_MEMCACHE_PREFIX": "auth-"},
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, "127.0.0.1:11211", c.RateLimit.MemcacheServer)
				assert.Equal(t, "auth-", c.RateLimit.MemcachePrefix)
			}},
		{"a templates path that is missing falls back to the built-in templates",
			map[string]string{"AUTH_EMAIL_TEMPLATES_PATH": "/nonexistent/templates"},
			func(t *testing.T, c *config.Config) {
				assert.Empty(t, c.Email.TemplatesPath)
				assert.Contains(t, strings.Join(c.Warnings, "\n"), "AUTH_EMAIL_TEMPLATES_PATH")
			}},
		{"a templates path that exists", map[string]string{"AUTH_EMAIL_TEMPLATES_PATH": os.TempDir()},
			func(t *testing.T, c *config.Config) { assert.Equal(t, os.TempDir(), c.Email.TemplatesPath) }},
		{"an unknown AUTH_ variable is a warning, not an error", map[string]string{"AUTH_ANONYMOUS_USER_ENABLED": "true"},
			func(t *testing.T, c *config.Config) {
				require.Len(t, c.Warnings, 1)
				assert.Contains(t, c.Warnings[0], "AUTH_ANONYMOUS_USER_ENABLED is set but nothing reads it")
				assert.False(t, c.AnonymousUsersEnabled)
			}},
	})
}

// An unknown AUTH_ variable in the environment or the .env file is named too.
func TestUnknownVariablesFromEnvironmentAndFile(t *testing.T) {
	clearEnv(t)
	t.Setenv("AUTH_SMTP_HSOT", "smtp.example.com")
	c, err := config.Load(writeEnvFile(t, "AUTH_PROT=4001\nHASURA_GRAPHQL_SOMETHING=x\n"), nil)
	require.NoError(t, err)
	w := strings.Join(c.Warnings, "\n")
	assert.Contains(t, w, "AUTH_SMTP_HSOT")
	assert.Contains(t, w, "AUTH_PROT")
	assert.NotContains(t, w, "HASURA_GRAPHQL_SOMETHING", "only AUTH_* names are ours to judge")
}

func TestHasuraAuthVariablesInvalid(t *testing.T) {
	for _, tc := range []struct {
		vals map[string]string
		want string
	}{
		{map[string]string{"AUTH_GRAVATAR_DEFAULT": "kitten"}, "AUTH_GRAVATAR_DEFAULT: must be one of blank, identicon"},
		{map[string]string{"AUTH_GRAVATAR_RATING": "nc17"}, "AUTH_GRAVATAR_RATING: must be one of g, pg, r, x"},
		{map[string]string{"AUTH_GRAVATAR_ENABLED": "yes"}, "AUTH_GRAVATAR_ENABLED: must be true or false"},
		{map[string]string{"AUTH_PASSWORD_HIBP_URL": "api.pwnedpasswords.com"}, "AUTH_PASSWORD_HIBP_URL: must be an http(s) URL"},
		{map[string]string{"AUTH_TURNSTILE_VERIFY_URL": "ftp://x/y"}, "AUTH_TURNSTILE_VERIFY_URL: must be an http(s) URL"},
		{map[string]string{"AUTH_SMTP_X_SMTPAPI_HEADER": "a\nBcc: victim@example.com"}, "AUTH_SMTP_X_SMTPAPI_HEADER: must be one line"},
		{map[string]string{"AUTH_SMTP_HOST": "postmark", "AUTH_SMTP_SENDER": "a@example.com"}, `AUTH_SMTP_HOST: "postmark"`},
		{map[string]string{"AUTH_RATE_LIMIT_MEMCACHE_SERVER": "memcached"}, "AUTH_RATE_LIMIT_MEMCACHE_SERVER: must be host:port"},
		{map[string]string{"AUTH_RATE_LIMIT_MEMCACHE_SERVER": "127.0.0.1:11211", "AUTH_RATE_LIMIT_REDIS_URL": "redis://127.0.0.1:6379"}, "choose one shared store"},
		{map[string]string{"AUTH_RATE_LIMIT_MEMCACHE_PREFIX": "a b"}, "AUTH_RATE_LIMIT_MEMCACHE_PREFIX: must not contain spaces"},
		{map[string]string{"AUTH_RATE_LIMIT_EMAIL_IS_GLOBAL": "sometimes"}, "AUTH_RATE_LIMIT_EMAIL_IS_GLOBAL: must be true or false"},
		{map[string]string{"AUTH_LOG_FORMAT_TEXT": "true", "AUTH_LOG_FORMAT": "json"}, "AUTH_LOG_FORMAT_TEXT: true asks for text logs"},
		{map[string]string{"AUTH_DEBUG": "1x"}, "AUTH_DEBUG: must be true or false"},
		{map[string]string{"POSTGRES_MIGRATIONS_CONNECTION": "mysql://x"}, "POSTGRES_MIGRATIONS_CONNECTION: must be a postgres:// URL"},
		{map[string]string{"POSTGRES_CONNECTION": "mysql://x"}, "POSTGRES_CONNECTION: must be a postgres:// URL"},
		{map[string]string{"AUTH_SMS_PROVIDER": "carrier-pigeon"}, "AUTH_SMS_PROVIDER: must be one of twilio, modica, log, dev"},
		{map[string]string{"AUTH_WEBAUTHN_ATTESTATION_TIMEOUT": "1m"}, "AUTH_WEBAUTHN_ATTESTATION_TIMEOUT: must be an integer"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			clearEnv(t)
			_, err := config.Load("", tc.vals)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
