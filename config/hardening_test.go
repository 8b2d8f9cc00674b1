package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHardeningDefaults(t *testing.T) {
	c, err := Load("", nil)
	require.NoError(t, err)
	require.Equal(t, RateLimitConfig{
		Enabled:     false,
		Global:      RateLimit{100, time.Minute},
		Email:       RateLimit{10, time.Hour},
		SMS:         RateLimit{10, time.Hour},
		BruteForce:  RateLimit{10, 5 * time.Minute},
		Signups:     RateLimit{10, 5 * time.Minute},
		RedisPrefix: "hasura-auth:rl:",
		// nhost's current auth's
		OAuth2Server: RateLimit{100, 5 * time.Minute},
	}, c.RateLimit, "hasura-auth's defaults")
	require.Empty(t, c.TrustedProxies)
	require.False(t, c.RefreshTokenCookie)
	require.Empty(t, c.CORSAllowedOrigins)
	require.Equal(t, "json", c.LogFormat)
	require.False(t, c.CookieSecure(), "default server URL is http://localhost")
}

func TestHardeningValidation(t *testing.T) {
	ok := map[string]string{
		"AUTH_RATE_LIMIT_BRUTE_FORCE_INTERVAL": "300", // plain seconds too
		"AUTH_RATE_LIMIT_REDIS_URL":            "redis://:pw@127.0.0.1:6379/2",
		"AUTH_TRUSTED_PROXIES":                 "10.0.0.0/8, 192.168.1.1, ::1, fd00::/8",
		"AUTH_CORS_ALLOWED_ORIGINS":            "HTTPS://App.Example.com:443/, http://localhost:3000, *",
		"AUTH_LOG_FORMAT":                      "Text",
	}
	c, err := Load("", ok)
	require.NoError(t, err)
	require.Equal(t, 5*time.Minute, c.RateLimit.BruteForce.Interval)
	require.Equal(t, []string{"https://app.example.com", "http://localhost:3000", "*"}, c.CORSAllowedOrigins)
	require.Equal(t, "text", c.LogFormat)

	bad := map[string]string{
		"AUTH_RATE_LIMIT_GLOBAL_BURST":      "0",
		"AUTH_RATE_LIMIT_SIGNUPS_INTERVAL":  "500ms",
		"AUTH_RATE_LIMIT_EMAIL_BURST":       "ten",
		"AUTH_RATE_LIMIT_REDIS_URL":         "http://:hunter2@cache:6379",
		"AUTH_TRUSTED_PROXIES":              "10.0.0.0/33",
		"AUTH_CORS_ALLOWED_ORIGINS":         "https://app.example.com/login",
		"AUTH_LOG_FORMAT":                   "xml",
		"AUTH_REFRESH_TOKEN_COOKIE":         "true",
		"AUTH_SERVER_URL":                   "http://auth.internal:4000",
		"AUTH_RATE_LIMIT_BRUTE_FORCE_BURST": "-1",
	}
	_, err = Load("", bad)
	require.Error(t, err)
	for _, name := range []string{"AUTH_RATE_LIMIT_GLOBAL_BURST", "AUTH_RATE_LIMIT_SIGNUPS_INTERVAL", "AUTH_RATE_LIMIT_EMAIL_BURST",
		"AUTH_RATE_LIMIT_REDIS_URL", "AUTH_TRUSTED_PROXIES", "AUTH_CORS_ALLOWED_ORIGINS", "AUTH_LOG_FORMAT",
		"AUTH_REFRESH_TOKEN_COOKIE", "AUTH_RATE_LIMIT_BRUTE_FORCE_BURST"} {
		require.ErrorContains(t, err, name)
	}
	require.NotContains(t, err.Error(), "hunter2", "the Redis URL may hold a password")
}

func TestCookieSecure(t *testing.T) {
	for url, secure := range map[string]bool{
		"http://localhost:4000": false, "http://127.0.0.1:4000": false, "http://app.localhost": false,
		"https://localhost": true, "https://auth.example.com": true,
	} {
		c, err := Load("", map[string]string{"AUTH_SERVER_URL": url})
		require.NoError(t, err)
		require.Equal(t, secure, c.CookieSecure(), url)
	}
}
