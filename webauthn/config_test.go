package webauthn_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/webauthn"
)

func TestConfigDefaultsAsHasuraAuth(t *testing.T) {
	c := webauthn.DefaultConfig()
	require.False(t, c.Enabled)
	require.Equal(t, 60*time.Second, c.AttestationTimeout)
	require.NoError(t, c.Validate(), "off: nothing else is read")

	c.Enabled = true
	c.ClientURL = "https://App.Example.com:8443/login?x=1"
	s, err := webauthn.New(c, nil)
	require.NoError(t, err)
	require.Equal(t, "app.example.com", s.RPID(), "the host of AUTH_CLIENT_URL")
	require.Equal(t, []string{"https://app.example.com:8443"}, s.Origins(), "AUTH_CLIENT_URL's origin")

	c.ClientURL = "http://localhost:3000"
	s, err = webauthn.New(c, nil)
	require.NoError(t, err, "local development")
	require.Equal(t, "localhost", s.RPID())
}

func TestConfigOrigins(t *testing.T) {
	c := testConfig()
	c.RPID = "Example.COM"
	c.RPOrigins = []string{" https://Example.com/ ", "", "https://app.example.com", "https://admin.example.com:8443",
		"android:apk-key-hash:2jmj7l5rSw0yVb_vlWAYkK_YBwk", "https://admin.example.com:8443/"}
	s, err := webauthn.New(c, nil)
	require.NoError(t, err)
	require.Equal(t, "example.com", s.RPID())
	require.Equal(t, []string{"https://example.com", "https://app.example.com", "https://admin.example.com:8443",
		"android:apk-key-hash:2jmj7l5rSw0yVb_vlWAYkK_YBwk"}, s.Origins(), "normalized, deduplicated, AUTH_CLIENT_URL's once")
}

func TestConfigRefusals(t *testing.T) {
	cases := []struct {
		name string
		edit func(*webauthn.Config)
		want []string // variables the error names
	}{
		{"no RP ID and no client URL", func(c *webauthn.Config) { c.RPID, c.ClientURL = "", "" },
			[]string{"AUTH_WEBAUTHN_RP_ID", "AUTH_WEBAUTHN_RP_ORIGINS"}},
		{"RP ID with scheme", func(c *webauthn.Config) { c.RPID = "https://example.com" }, []string{"AUTH_WEBAUTHN_RP_ID"}},
		{"RP ID with port", func(c *webauthn.Config) { c.RPID = "example.com:443" }, []string{"AUTH_WEBAUTHN_RP_ID"}},
		{"RP ID an IP address", func(c *webauthn.Config) { c.RPID = "10.0.0.1" }, []string{"AUTH_WEBAUTHN_RP_ID"}},
		{"default RP ID from an IP client URL", func(c *webauthn.Config) { c.RPID, c.ClientURL = "", "http://127.0.0.1:3000" },
			[]string{"AUTH_WEBAUTHN_RP_ID"}},
		{"client URL not a URL", func(c *webauthn.Config) { c.ClientURL = "app.example.com" }, []string{"AUTH_CLIENT_URL"}},
		{"origin with a path", func(c *webauthn.Config) { c.RPOrigins = []string{"https://example.com/app"} },
			[]string{"AUTH_WEBAUTHN_RP_ORIGINS"}},
		{"origin of another scheme", func(c *webauthn.Config) { c.RPOrigins = []string{"ftp://example.com"} },
			[]string{"AUTH_WEBAUTHN_RP_ORIGINS"}},
		{"origin without host", func(c *webauthn.Config) { c.RPOrigins = []string{"https://"} }, []string{"AUTH_WEBAUTHN_RP_ORIGINS"}},
		{"timeout zero", func(c *webauthn.Config) { c.AttestationTimeout = 0 }, []string{"AUTH_WEBAUTHN_ATTESTATION_TIMEOUT"}},
		{"timeout of hours", func(c *webauthn.Config) { c.AttestationTimeout = 2 * time.Hour }, []string{"AUTH_WEBAUTHN_ATTESTATION_TIMEOUT"}},
		{"every problem at once", func(c *webauthn.Config) {
			c.RPID, c.RPOrigins, c.AttestationTimeout = "a b", []string{"x"}, -1
		}, []string{"AUTH_WEBAUTHN_RP_ID", "AUTH_WEBAUTHN_RP_ORIGINS", "AUTH_WEBAUTHN_ATTESTATION_TIMEOUT"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			tc.edit(&c)
			err := c.Validate()
			require.Error(t, err)
			for _, v := range tc.want {
				require.Contains(t, err.Error(), v)
			}
			_, err = webauthn.New(c, nil)
			require.Error(t, err, "New validates")
		})
	}

	c := testConfig()
	c.Enabled = false
	_, err := webauthn.New(c, nil)
	require.ErrorContains(t, err, "AUTH_WEBAUTHN_ENABLED")
}
