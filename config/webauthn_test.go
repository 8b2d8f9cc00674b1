package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/webauthn"
)

// The AUTH_WEBAUTHN_* variables fill webauthn.Config directly, with
// AUTH_CLIENT_URL beside them, and a bad value stops the start naming its
// variable.
func TestWebAuthnVariables(t *testing.T) {
	runLoadCases(t, []loadCase{
		{"off by default", nil, func(t *testing.T, c *config.Config) {
			assert.Equal(t, webauthn.DefaultConfig().AttestationTimeout, c.WebAuthn.AttestationTimeout)
			assert.False(t, c.WebAuthn.Enabled)
		}},
		{"on", map[string]string{
			"AUTH_WEBAUTHN_ENABLED": "true", "AUTH_CLIENT_URL": "https://app.example.com", "AUTH_WEBAUTHN_RP_ID": "example.com",
			"AUTH_WEBAUTHN_RP_NAME": "Example", "AUTH_WEBAUTHN_RP_ORIGINS": "https://admin.example.com, https://example.com",
			"AUTH_WEBAUTHN_ATTESTATION_TIMEOUT": "120000",
		}, func(t *testing.T, c *config.Config) {
			assert.Equal(t, webauthn.Config{
				Enabled: true, RPName: "Example", RPID: "example.com",
				RPOrigins:          []string{"https://admin.example.com", "https://example.com"},
				AttestationTimeout: 2 * time.Minute, ClientURL: "https://app.example.com",
			}, c.WebAuthn)
			s, err := webauthn.New(c.WebAuthn, nil)
			require.NoError(t, err)
			assert.Equal(t, []string{"https://admin.example.com", "https://example.com", "https://app.example.com"}, s.Origins())
		}},
	})

	for name, vars := range map[string]map[string]string{
		"AUTH_WEBAUTHN_RP_ID":               {"AUTH_WEBAUTHN_RP_ID": "https://example.com"},
		"AUTH_WEBAUTHN_RP_ORIGINS":          {"AUTH_WEBAUTHN_RP_ORIGINS": "https://example.com/login"},
		"AUTH_WEBAUTHN_ATTESTATION_TIMEOUT": {"AUTH_WEBAUTHN_ATTESTATION_TIMEOUT": "10"},
	} {
		t.Run("refused "+name, func(t *testing.T) {
			clearEnv(t)
			vars["AUTH_WEBAUTHN_ENABLED"] = "true"
			vars["AUTH_CLIENT_URL"] = "https://app.example.com"
			_, err := config.Load("", vars)
			require.Error(t, err)
			require.True(t, strings.Contains(err.Error(), "\n"+name+":"), "%v", err)
		})
	}
}
