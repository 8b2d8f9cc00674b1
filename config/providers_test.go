package config_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/oauth/providers"
)

// docs/social-sign-in.md lists every provider with its variables, as
// AUTH_PROVIDER_<NAME>_{SUFFIX, …}: exactly the variables providers.Config
// declares.
func TestSocialSignInDocListsEveryProviderVariable(t *testing.T) {
	doc, err := os.ReadFile("../docs/social-sign-in.md")
	require.NoError(t, err)
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("`(AUTH_PROVIDER_[A-Z_]+_)\\{([A-Z_, ]+)\\}`").FindAllStringSubmatch(string(doc), -1) {
		for _, suffix := range strings.Split(m[2], ",") {
			listed[m[1]+strings.TrimSpace(suffix)] = true
		}
	}
	var cfg providers.Config
	declared := map[string]bool{}
	for _, v := range cfg.Variables() {
		declared[v.Name] = true
		require.True(t, listed[v.Name], "docs/social-sign-in.md does not list %s", v.Name)
	}
	for name := range listed {
		require.True(t, declared[name], "docs/social-sign-in.md lists %s, which does not exist", name)
	}
}

// The provider variables fill providers.Config through the loader, and an
// enabled provider's settings are checked at start, each error naming its
// variable.
func TestProviderVariablesLoad(t *testing.T) {
	clearEnv(t)
	c, err := config.Load("", map[string]string{
		"AUTH_PROVIDER_GITHUB_ENABLED": "true", "AUTH_PROVIDER_GITHUB_CLIENT_ID": "id", "AUTH_PROVIDER_GITHUB_CLIENT_SECRET": "secret",
		"AUTH_PROVIDER_GITHUB_SCOPE": "user:email, read:org", "AUTH_PROVIDER_GOOGLE_AUDIENCE": "ios-app,android-app",
		"AUTH_PROVIDER_OIDC_ISSUER": "https://keycloak.example.com/realms/acme",
	})
	require.NoError(t, err)
	require.True(t, c.Providers.GitHub.Enabled)
	require.Equal(t, "secret", c.Providers.GitHub.ClientSecret)
	require.Equal(t, []string{"user:email", "read:org"}, c.Providers.GitHub.Scope)
	require.Equal(t, "https://api.github.com/user", c.Providers.GitHub.UserProfileURL, "hasura-auth's default")
	require.Equal(t, []string{"ios-app", "android-app"}, c.Providers.Google.Audience)
	require.Equal(t, "https://keycloak.example.com/realms/acme", c.Providers.OIDC.Issuer)
	require.Equal(t, "sub", c.Providers.OIDC.ClaimID)

	for _, tc := range []struct {
		vals map[string]string
		want string
	}{
		{map[string]string{"AUTH_PROVIDER_GITHUB_ENABLED": "true"}, "AUTH_PROVIDER_GITHUB_CLIENT_ID is required when AUTH_PROVIDER_GITHUB_ENABLED is true"},
		{map[string]string{"AUTH_PROVIDER_OIDC_ENABLED": "true", "AUTH_PROVIDER_OIDC_CLIENT_ID": "c"}, "AUTH_PROVIDER_OIDC_ISSUER is required"},
		{map[string]string{"AUTH_PROVIDER_GITLAB_ENABLED": "yes"}, "AUTH_PROVIDER_GITLAB_ENABLED: must be true or false"},
		{map[string]string{"AUTH_PROVIDER_APPLE_AUDIENCE": "app", "AUTH_PROVIDER_APPLE_JWKS_URL": "keys"}, "AUTH_PROVIDER_APPLE_JWKS_URL must be an absolute http(s) URL"},
	} {
		_, err := config.Load("", tc.vals)
		require.ErrorContains(t, err, tc.want)
	}
}
