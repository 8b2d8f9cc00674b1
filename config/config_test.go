package config_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasura-auth-go/auth/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envNames are the variables these tests touch; clearEnv blanks any the
// machine happens to set so the defaults under test are really the defaults
// (viper treats an empty env var as unset).
var envNames = []string{
	"AUTH_PORT", "AUTH_API_PREFIX", "AUTH_SERVER_URL", "AUTH_CLIENT_URL", "AUTH_LOG_LEVEL",
	"HASURA_GRAPHQL_DATABASE_URL", "POSTGRES_CONNECTION", "HASURA_GRAPHQL_JWT_SECRET",
	"AUTH_ACCESS_TOKEN_EXPIRES_IN", "AUTH_REFRESH_TOKEN_EXPIRES_IN", "AUTH_REFRESH_TOKEN_REUSE_INTERVAL",
	"AUTH_DISABLE_SIGNUP", "AUTH_USER_DEFAULT_ROLE", "AUTH_USER_DEFAULT_ALLOWED_ROLES",
	"AUTH_LOCALE_DEFAULT", "AUTH_LOCALE_ALLOWED_LOCALES", "AUTH_BCRYPT_COST", "AUTH_PASSWORD_MIN_LENGTH",
}

func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range envNames {
		if _, ok := os.LookupEnv(k); ok {
			t.Setenv(k, "")
		}
	}
}

func writeEnvFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func jwtSecret(t *testing.T, v map[string]string) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// rsaPEMs returns a PEM public key and its PEM private key.
func rsaPEMs(t *testing.T) (pub, priv string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	require.NoError(t, err)
	privDER, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	pub = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	priv = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	return pub, priv
}

// pemBodyLines returns the base64 lines of a PEM block (what a leak would show).
func pemBodyLines(p string) []string {
	var out []string
	for _, l := range strings.Split(p, "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

func TestLoadDefaults(t *testing.T) {
	clearEnv(t)
	c, err := config.Load(filepath.Join(t.TempDir(), "missing.env"), nil)
	require.NoError(t, err)

	assert.Equal(t, 4000, c.Port)
	assert.Equal(t, "", c.APIPrefix)
	assert.Equal(t, 900*time.Second, c.AccessTokenTTL)
	assert.Equal(t, 2592000*time.Second, c.RefreshTokenTTL)
	assert.Equal(t, 10*time.Second, c.RefreshReuseWindow)
	assert.Equal(t, "user", c.DefaultRole)
	assert.Contains(t, c.DefaultAllowedRoles, "me")
	assert.Contains(t, c.DefaultAllowedRoles, "user")
	assert.Equal(t, "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", c.DatabaseURL)
	assert.Equal(t, config.DefaultDatabaseURL, c.DatabaseURL)
	assert.Equal(t, "en", c.LocaleDefault)
	assert.Equal(t, []string{"en"}, c.AllowedLocales)
	assert.Equal(t, 10, c.BcryptCost)
	assert.Equal(t, 3, c.PasswordMinLength)
	assert.False(t, c.DisableSignup)
	assert.True(t, c.EmailVerifiedRequired)
	assert.Equal(t, "hasura-auth", c.JWTIssuer)
	assert.Nil(t, c.JWTSecret, "no HASURA_GRAPHQL_JWT_SECRET: generated key")
	assert.Equal(t, "http://localhost:4000", c.ServerURL)
}

func TestLoadEmptyEnvFileNameMeansNoFile(t *testing.T) {
	clearEnv(t)
	c, err := config.Load("", nil)
	require.NoError(t, err)
	assert.Equal(t, 4000, c.Port)
}

func TestLoadValues(t *testing.T) {
	hsKey := strings.Repeat("k", 32)
	pub, priv := rsaPEMs(t)
	runLoadCases(t, []loadCase{
		{
			name:      "POSTGRES_CONNECTION fallback",
			overrides: map[string]string{"POSTGRES_CONNECTION": "postgres://a@db:5432/x"},
			check: func(t *testing.T, c *config.Config) {
				assert.Equal(t, "postgres://a@db:5432/x", c.DatabaseURL)
			},
		},
		{
			name: "POSTGRES_CONNECTION beats HASURA_GRAPHQL_DATABASE_URL, as in hasura-auth",
			overrides: map[string]string{
				"POSTGRES_CONNECTION":         "postgres://a@db:5432/x",
				"HASURA_GRAPHQL_DATABASE_URL": "postgresql://b@db2:5432/y",
			},
			check: func(t *testing.T, c *config.Config) {
				assert.Equal(t, "postgres://a@db:5432/x", c.DatabaseURL)
				assert.Contains(t, strings.Join(c.Warnings, "\n"), "POSTGRES_CONNECTION and HASURA_GRAPHQL_DATABASE_URL differ")
			},
		},
		{
			name:      "HASURA_GRAPHQL_DATABASE_URL alone",
			overrides: map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgresql://b@db2:5432/y"},
			check: func(t *testing.T, c *config.Config) {
				assert.Equal(t, "postgresql://b@db2:5432/y", c.DatabaseURL)
				assert.Empty(t, c.MigrationsDatabaseURL, "migrations use the same URL")
			},
		},
		{
			name:      "prefix with trailing slash",
			overrides: map[string]string{"AUTH_API_PREFIX": "/v1/"},
			check: func(t *testing.T, c *config.Config) {
				assert.Equal(t, "/v1", c.APIPrefix)
			},
		},
		{
			name:      "default role is added to allowed roles",
			overrides: map[string]string{"AUTH_USER_DEFAULT_ROLE": "editor", "AUTH_USER_DEFAULT_ALLOWED_ROLES": "me, viewer"},
			check: func(t *testing.T, c *config.Config) {
				assert.Equal(t, "editor", c.DefaultRole)
				assert.ElementsMatch(t, []string{"me", "viewer", "editor"}, c.DefaultAllowedRoles)
			},
		},
		{
			name:      "default role already allowed is not duplicated",
			overrides: map[string]string{"AUTH_USER_DEFAULT_ALLOWED_ROLES": "user,me"},
			check: func(t *testing.T, c *config.Config) {
				assert.ElementsMatch(t, []string{"user", "me"}, c.DefaultAllowedRoles)
			},
		},
		{
			name:      "server URL follows port",
			overrides: map[string]string{"AUTH_PORT": "8081"},
			check: func(t *testing.T, c *config.Config) {
				assert.Equal(t, 8081, c.Port)
				assert.Equal(t, "http://localhost:8081", c.ServerURL)
			},
		},
		{
			name:      "HS256 key of 32 characters",
			overrides: map[string]string{"HASURA_GRAPHQL_JWT_SECRET": jwtSecret(t, map[string]string{"type": "HS256", "key": hsKey})},
			check: func(t *testing.T, c *config.Config) {
				require.NotNil(t, c.JWTSecret)
				assert.Equal(t, "HS256", c.JWTSecret.Type)
				assert.Equal(t, []byte(hsKey), c.JWTSecret.SignKey)
			},
		},
		{
			name: "RS256 with signing_key",
			overrides: map[string]string{"HASURA_GRAPHQL_JWT_SECRET": jwtSecret(t, map[string]string{
				"type": "RS256", "key": pub, "signing_key": priv,
			})},
			check: func(t *testing.T, c *config.Config) {
				require.NotNil(t, c.JWTSecret)
				assert.IsType(t, &rsa.PrivateKey{}, c.JWTSecret.SignKey)
			},
		},
		{
			name:      "booleans and seconds",
			overrides: map[string]string{"AUTH_DISABLE_SIGNUP": "true", "AUTH_ACCESS_TOKEN_EXPIRES_IN": "60", "AUTH_REFRESH_TOKEN_REUSE_INTERVAL": "0"},
			check: func(t *testing.T, c *config.Config) {
				assert.True(t, c.DisableSignup)
				assert.Equal(t, time.Minute, c.AccessTokenTTL)
				assert.Equal(t, time.Duration(0), c.RefreshReuseWindow)
			},
		},
	})
}

// loadCase is a configuration that must load, and what it must hold.
type loadCase struct {
	name      string
	overrides map[string]string
	check     func(t *testing.T, c *config.Config)
}

func runLoadCases(t *testing.T, cases []loadCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			c, err := config.Load("", tc.overrides)
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

func TestLoadPrecedence(t *testing.T) {
	const file = "# comment\n" +
		"AUTH_PORT=5001\n" +
		"AUTH_API_PREFIX=/v1\n" +
		"AUTH_ACCESS_TOKEN_EXPIRES_IN=120\n" +
		"AUTH_DISABLE_SIGNUP=true\n" +
		"HASURA_GRAPHQL_JWT_SECRET='{\"type\":\"HS256\",\"key\":\"0123456789abcdef0123456789abcdef\"}'\n"

	t.Run(".env values applied", func(t *testing.T) {
		clearEnv(t)
		c, err := config.Load(writeEnvFile(t, file), nil)
		require.NoError(t, err)
		assert.Equal(t, 5001, c.Port)
		assert.Equal(t, "/v1", c.APIPrefix)
		assert.Equal(t, 120*time.Second, c.AccessTokenTTL)
		assert.True(t, c.DisableSignup)
		require.NotNil(t, c.JWTSecret)
		assert.Equal(t, []byte("0123456789abcdef0123456789abcdef"), c.JWTSecret.SignKey)
		// untouched by the file: still defaults
		assert.Equal(t, 2592000*time.Second, c.RefreshTokenTTL)
	})

	t.Run("env beats .env", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("AUTH_PORT", "5002")
		t.Setenv("AUTH_DISABLE_SIGNUP", "false")
		c, err := config.Load(writeEnvFile(t, file), nil)
		require.NoError(t, err)
		assert.Equal(t, 5002, c.Port)
		assert.False(t, c.DisableSignup)
		assert.Equal(t, "/v1", c.APIPrefix, "from .env, not overridden")
	})

	t.Run("env without .env", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("AUTH_PORT", "5003")
		t.Setenv("POSTGRES_CONNECTION", "postgres://u@h/d")
		c, err := config.Load("", nil)
		require.NoError(t, err)
		assert.Equal(t, 5003, c.Port)
		assert.Equal(t, "postgres://u@h/d", c.DatabaseURL)
	})

	t.Run("overrides beat env and .env", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("AUTH_PORT", "5002")
		c, err := config.Load(writeEnvFile(t, file), map[string]string{"AUTH_PORT": "5004", "AUTH_API_PREFIX": "/v2"})
		require.NoError(t, err)
		assert.Equal(t, 5004, c.Port)
		assert.Equal(t, "/v2", c.APIPrefix)
	})

	t.Run("invalid .env value names the variable", func(t *testing.T) {
		clearEnv(t)
		_, err := config.Load(writeEnvFile(t, "AUTH_PORT=abc\n"), nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "AUTH_PORT")
	})
}

func TestLoadInvalid(t *testing.T) {
	hsKey31 := "s3cr3t-" + strings.Repeat("x", 24) // 31 characters
	require.Len(t, hsKey31, 31)
	pub, _ := rsaPEMs(t)

	tests := []struct {
		name    string
		vals    map[string]string
		wantVar []string // every one must be named
		wantMsg string   // optional fragment saying what is wrong
		secrets []string // must not appear in the error
	}{
		{name: "port not a number", vals: map[string]string{"AUTH_PORT": "abc"}, wantVar: []string{"AUTH_PORT"}, wantMsg: "integer"},
		{name: "port out of range", vals: map[string]string{"AUTH_PORT": "70000"}, wantVar: []string{"AUTH_PORT"}, wantMsg: "65535"},
		{name: "port zero", vals: map[string]string{"AUTH_PORT": "0"}, wantVar: []string{"AUTH_PORT"}},
		{name: "access TTL not a number", vals: map[string]string{"AUTH_ACCESS_TOKEN_EXPIRES_IN": "ten"}, wantVar: []string{"AUTH_ACCESS_TOKEN_EXPIRES_IN"}, wantMsg: "seconds"},
		{name: "access TTL Go duration", vals: map[string]string{"AUTH_ACCESS_TOKEN_EXPIRES_IN": "15m"}, wantVar: []string{"AUTH_ACCESS_TOKEN_EXPIRES_IN"}},
		{name: "refresh TTL too short", vals: map[string]string{"AUTH_REFRESH_TOKEN_EXPIRES_IN": "5"}, wantVar: []string{"AUTH_REFRESH_TOKEN_EXPIRES_IN"}},
		{name: "bool", vals: map[string]string{"AUTH_DISABLE_SIGNUP": "maybe"}, wantVar: []string{"AUTH_DISABLE_SIGNUP"}, wantMsg: "true or false"},
		{name: "prefix without slash", vals: map[string]string{"AUTH_API_PREFIX": "v1"}, wantVar: []string{"AUTH_API_PREFIX"}, wantMsg: "/"},
		{
			name: "database URL not postgres", vals: map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "mysql://x"},
			wantVar: []string{"HASURA_GRAPHQL_DATABASE_URL"}, wantMsg: "postgres",
		},
		{
			name: "database URL password not echoed", vals: map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "mysql://root:hunter2pw@db/x"},
			wantVar: []string{"HASURA_GRAPHQL_DATABASE_URL"}, secrets: []string{"hunter2pw"},
		},
		{name: "locale four letters", vals: map[string]string{"AUTH_LOCALE_DEFAULT": "engl"}, wantVar: []string{"AUTH_LOCALE_DEFAULT"}},
		{name: "locale one letter", vals: map[string]string{"AUTH_LOCALE_DEFAULT": "e"}, wantVar: []string{"AUTH_LOCALE_DEFAULT"}},
		{name: "bcrypt cost too low", vals: map[string]string{"AUTH_BCRYPT_COST": "3"}, wantVar: []string{"AUTH_BCRYPT_COST"}},
		{name: "bcrypt cost too high", vals: map[string]string{"AUTH_BCRYPT_COST": "32"}, wantVar: []string{"AUTH_BCRYPT_COST"}},
		{name: "default role empty", vals: map[string]string{"AUTH_USER_DEFAULT_ROLE": " "}, wantVar: []string{"AUTH_USER_DEFAULT_ROLE"}},
		{name: "server URL relative", vals: map[string]string{"AUTH_SERVER_URL": "auth.example.com"}, wantVar: []string{"AUTH_SERVER_URL"}},
		{name: "client URL relative", vals: map[string]string{"AUTH_CLIENT_URL": "/app"}, wantVar: []string{"AUTH_CLIENT_URL"}},
		{
			name:    "HS256 key of 31 characters",
			vals:    map[string]string{"HASURA_GRAPHQL_JWT_SECRET": jwtSecret(t, map[string]string{"type": "HS256", "key": hsKey31})},
			wantVar: []string{"HASURA_GRAPHQL_JWT_SECRET"}, wantMsg: "32", secrets: []string{hsKey31, "s3cr3t"},
		},
		{
			name:    "HS512 key of 63 characters",
			vals:    map[string]string{"HASURA_GRAPHQL_JWT_SECRET": jwtSecret(t, map[string]string{"type": "HS512", "key": "s3cr3t-" + strings.Repeat("y", 56)})},
			wantVar: []string{"HASURA_GRAPHQL_JWT_SECRET"}, wantMsg: "64", secrets: []string{"s3cr3t"},
		},
		{
			name:    "JWT secret invalid JSON",
			vals:    map[string]string{"HASURA_GRAPHQL_JWT_SECRET": `{"type":"HS256","key":"s3cr3t-` + strings.Repeat("z", 40) + `"`},
			wantVar: []string{"HASURA_GRAPHQL_JWT_SECRET"}, wantMsg: "JSON", secrets: []string{"s3cr3t"},
		},
		{
			name:    "JWT secret not an object",
			vals:    map[string]string{"HASURA_GRAPHQL_JWT_SECRET": "s3cr3t-" + strings.Repeat("z", 40)},
			wantVar: []string{"HASURA_GRAPHQL_JWT_SECRET"}, secrets: []string{"s3cr3t"},
		},
		{
			name:    "JWT secret unknown type",
			vals:    map[string]string{"HASURA_GRAPHQL_JWT_SECRET": jwtSecret(t, map[string]string{"type": "HS999", "key": "s3cr3t-" + strings.Repeat("w", 40)})},
			wantVar: []string{"HASURA_GRAPHQL_JWT_SECRET"}, wantMsg: "not supported", secrets: []string{"s3cr3t"},
		},
		{
			name:    "JWT secret key pasted into type",
			vals:    map[string]string{"HASURA_GRAPHQL_JWT_SECRET": jwtSecret(t, map[string]string{"type": pub, "key": "s3cr3t-" + strings.Repeat("w", 40)})},
			wantVar: []string{"HASURA_GRAPHQL_JWT_SECRET"}, secrets: append([]string{"s3cr3t"}, pemBodyLines(pub)...),
		},
		{
			name:    "RS256 with only a public key cannot sign",
			vals:    map[string]string{"HASURA_GRAPHQL_JWT_SECRET": jwtSecret(t, map[string]string{"type": "RS256", "key": pub})},
			wantVar: []string{"HASURA_GRAPHQL_JWT_SECRET"}, wantMsg: "sign", secrets: pemBodyLines(pub),
		},
		{
			name:    "jwk_url alone cannot sign",
			vals:    map[string]string{"HASURA_GRAPHQL_JWT_SECRET": `{"jwk_url":"https://example.com/.well-known/jwks.json"}`},
			wantVar: []string{"HASURA_GRAPHQL_JWT_SECRET"}, wantMsg: "sign",
		},
		{
			name: "several bad values at once",
			vals: map[string]string{
				"AUTH_PORT":                    "abc",
				"AUTH_ACCESS_TOKEN_EXPIRES_IN": "ten",
				"AUTH_DISABLE_SIGNUP":          "maybe",
				"AUTH_API_PREFIX":              "v1",
				"HASURA_GRAPHQL_DATABASE_URL":  "mysql://x",
				"AUTH_LOCALE_DEFAULT":          "engl",
				"AUTH_BCRYPT_COST":             "3",
				"HASURA_GRAPHQL_JWT_SECRET":    jwtSecret(t, map[string]string{"type": "HS256", "key": hsKey31}),
			},
			wantVar: []string{
				"AUTH_PORT", "AUTH_ACCESS_TOKEN_EXPIRES_IN", "AUTH_DISABLE_SIGNUP", "AUTH_API_PREFIX",
				"HASURA_GRAPHQL_DATABASE_URL", "AUTH_LOCALE_DEFAULT", "AUTH_BCRYPT_COST", "HASURA_GRAPHQL_JWT_SECRET",
			},
			secrets: []string{hsKey31},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			c, err := config.Load("", tc.vals)
			require.Error(t, err)
			assert.Nil(t, c)
			msg := err.Error()
			for _, v := range tc.wantVar {
				assert.Contains(t, msg, v)
			}
			if tc.wantMsg != "" {
				assert.Contains(t, msg, tc.wantMsg)
			}
			for _, s := range tc.secrets {
				assert.NotContains(t, msg, s, "error text leaks secret material")
			}
			// each line names a variable we set (no noise about untouched ones)
			for _, line := range strings.Split(msg, "\n")[1:] {
				name, _, _ := strings.Cut(line, ":")
				assert.Contains(t, tc.vals, name, "error line %q", line)
			}
		})
	}
}

// A value that does not parse is reported once, with what was written, not
// again by range checks that see the zero value it fell back to.
func TestLoadUnparsableReportedOnce(t *testing.T) {
	clearEnv(t)
	_, err := config.Load("", map[string]string{"AUTH_PORT": "abc", "AUTH_ACCESS_TOKEN_EXPIRES_IN": "ten"})
	require.Error(t, err)
	msg := err.Error()
	assert.Equal(t, 1, strings.Count(msg, "AUTH_PORT"), msg)
	assert.Equal(t, 1, strings.Count(msg, "AUTH_ACCESS_TOKEN_EXPIRES_IN"), msg)
	assert.Contains(t, msg, `"abc"`)
	assert.NotContains(t, msg, "got 0")
}

// A malformed .env line must not be echoed: it may be part of a key.
func TestLoadMalformedEnvFileDoesNotLeak(t *testing.T) {
	pub, priv := rsaPEMs(t)
	privLines := pemBodyLines(priv)
	tests := map[string]struct{ content, line string }{
		"missing equals sign": {
			content: "AUTH_PORT=4000\n\nHASURA_GRAPHQL_JWT_SECRET {\"type\":\"HS256\",\"key\":\"s3cr3t-0123456789abcdef0123456789\"}\n",
			line:    "line 3 ",
		},
		"unquoted multi-line PEM": {
			content: "AUTH_PORT=4000\n# PEM below\nHASURA_GRAPHQL_JWT_SECRET={\"type\":\"RS256\",\"key\":\"" +
				strings.ReplaceAll(pub, "\n", "\\n") + "\",\"signing_key\":\"" + priv + "\"}\n",
			line: "line 4 ", // the first line of base64, after the BEGIN line
		},
		"unclosed quote": {
			content: "AUTH_PORT=4000\nHASURA_GRAPHQL_JWT_SECRET='{\"type\":\"HS256\",\"key\":\"s3cr3t-0123456789abcdef0123456789\"}\n",
			line:    "never closed",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clearEnv(t)
			p := writeEnvFile(t, tc.content)
			_, err := config.Load(p, nil)
			require.Error(t, err)
			msg := err.Error()
			assert.Contains(t, msg, p, "names the file")
			assert.Contains(t, msg, tc.line, "names the line")
			assert.NotContains(t, msg, "s3cr3t")
			for _, l := range privLines {
				assert.NotContains(t, msg, l)
			}
		})
	}
}

func TestRedactedDatabaseURL(t *testing.T) {
	tests := []struct {
		url      string
		contains []string
		hidden   string
	}{
		{url: "postgres://auth:hunter2pw@db.example.com:5432/nhost?sslmode=require", contains: []string{"auth", "db.example.com:5432", "/nhost"}, hidden: "hunter2pw"},
		{url: "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", contains: []string{"postgres@127.0.0.1:5432"}},
	}
	for _, tc := range tests {
		c := &config.Config{DatabaseURL: tc.url}
		got := c.RedactedDatabaseURL()
		for _, s := range tc.contains {
			assert.Contains(t, got, s)
		}
		if tc.hidden != "" {
			assert.NotContains(t, got, tc.hidden)
		}
	}

	c, err := config.Load("", map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://auth:hunter2pw@db:5432/x"})
	require.NoError(t, err)
	assert.Equal(t, "postgres://auth:hunter2pw@db:5432/x", c.DatabaseURL)
	assert.NotContains(t, c.RedactedDatabaseURL(), "hunter2pw")
	assert.NotContains(t, (&config.Config{DatabaseURL: "postgres://a:pw%zz@h/d"}).RedactedDatabaseURL(), "pw")
}

// The parsed secret must not print its key through fmt (it ends up in logs).
func TestJWTSecretNotPrinted(t *testing.T) {
	clearEnv(t)
	key := "s3cr3t-" + strings.Repeat("q", 30)
	c, err := config.Load("", map[string]string{"HASURA_GRAPHQL_JWT_SECRET": jwtSecret(t, map[string]string{"type": "HS256", "key": key})})
	require.NoError(t, err)
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(f, c.JWTSecret), "s3cr3t", f)
		assert.NotContains(t, fmt.Sprintf(f, *c.JWTSecret), "s3cr3t", f)
	}
}
