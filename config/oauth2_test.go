package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOAuth2ProviderDefaults(t *testing.T) {
	c, err := Load("", nil)
	require.NoError(t, err)
	require.Equal(t, OAuth2ProviderConfig{AccessTokenTTL: 900 * time.Second, RefreshTokenTTL: 30 * 24 * time.Hour}, c.OAuth2Provider, "nhost's defaults")
	require.Equal(t, "https://app.example.com/oauth2/login", c.OAuth2Provider.LoginURL("https://app.example.com/"))
	c, err = Load("", map[string]string{"AUTH_OAUTH2_PROVIDER_ENABLED": "true", "AUTH_CLIENT_URL": "https://app.example.com",
		"AUTH_OAUTH2_PROVIDER_LOGIN_URL": "https://id.example.com/consent?from=auth"})
	require.NoError(t, err, "generated keys (no HASURA_GRAPHQL_JWT_SECRET) can be published")
	require.Equal(t, "https://id.example.com/consent?from=auth", c.OAuth2Provider.LoginURL(c.ClientURL))
}

func TestOAuth2ProviderValidation(t *testing.T) {
	on := map[string]string{"AUTH_OAUTH2_PROVIDER_ENABLED": "true", "AUTH_CLIENT_URL": "https://app.example.com"}
	with := func(kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range on {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	for _, tc := range []struct {
		name string
		vals map[string]string
		want string
	}{
		{"a shared JWT secret", with("HASURA_GRAPHQL_JWT_SECRET", `{"type":"HS256","key":"0123456789abcdef0123456789abcdef"}`),
			"AUTH_OAUTH2_PROVIDER_ENABLED: needs an asymmetric signing key, and HASURA_GRAPHQL_JWT_SECRET is HS256"},
		{"no login URL", map[string]string{"AUTH_OAUTH2_PROVIDER_ENABLED": "true"}, "AUTH_OAUTH2_PROVIDER_LOGIN_URL: is needed"},
		{"a relative login URL", with("AUTH_OAUTH2_PROVIDER_LOGIN_URL", "/login"), "AUTH_OAUTH2_PROVIDER_LOGIN_URL: must be an absolute URL"},
		{"no access token lifetime", with("AUTH_OAUTH2_PROVIDER_ACCESS_TOKEN_TTL", "0"), "AUTH_OAUTH2_PROVIDER_ACCESS_TOKEN_TTL: must be at least 1 second"},
		{"a short refresh token lifetime", with("AUTH_OAUTH2_PROVIDER_REFRESH_TOKEN_TTL", "30"), "AUTH_OAUTH2_PROVIDER_REFRESH_TOKEN_TTL: must be at least 60 seconds"},
		{"a bad CIMD switch", with("AUTH_OAUTH2_PROVIDER_CIMD_ENABLED", "sure"), "AUTH_OAUTH2_PROVIDER_CIMD_ENABLED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("", tc.vals)
			require.ErrorContains(t, err, tc.want)
		})
	}
	// Off, a shared secret is no problem.
	_, err := Load("", map[string]string{"HASURA_GRAPHQL_JWT_SECRET": `{"type":"HS256","key":"0123456789abcdef0123456789abcdef"}`})
	require.NoError(t, err)
}
