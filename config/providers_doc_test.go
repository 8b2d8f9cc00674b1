package config_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

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
