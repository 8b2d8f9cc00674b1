package providers_test

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/stretchr/testify/require"
)

func TestVariables(t *testing.T) {
	var cfg providers.Config
	vars := cfg.Variables()
	byName := map[string]providers.Variable{}
	for _, v := range vars {
		require.NotContains(t, byName, v.Name, "duplicate variable")
		require.True(t, strings.HasPrefix(v.Name, "AUTH_PROVIDER_"), v.Name)
		byName[v.Name] = v
	}
	hasura := 0
	for name, v := range byName {
		require.NotEmpty(t, v.Doc, name)
		require.NotEmpty(t, v.Provider, name)
		require.NotContains(t, v.Doc, "%!", name)
		require.Equal(t, providers.HasuraAuthVariable(name), !v.Ours, name)
		if !v.Ours {
			hasura++
		}
	}
	require.Equal(t, 74, hasura, "every variable hasura-auth reads is in Config")
	for name, v := range byName {
		secret := strings.HasSuffix(name, "_SECRET") || strings.HasSuffix(name, "_PRIVATE_KEY")
		require.Equal(t, secret, v.Secret, name)
	}
	for name, want := range map[string]string{
		"AUTH_PROVIDER_GITHUB_ENABLED":           "false",
		"AUTH_PROVIDER_GITHUB_SCOPE":             "user:email",
		"AUTH_PROVIDER_GITHUB_AUTHORIZATION_URL": "https://github.com/login/oauth/authorize",
		"AUTH_PROVIDER_GITHUB_TOKEN_URL":         "https://github.com/login/oauth/access_token",
		"AUTH_PROVIDER_GITHUB_USER_PROFILE_URL":  "https://api.github.com/user",
		"AUTH_PROVIDER_GOOGLE_SCOPE":             "openid,email,profile",
		"AUTH_PROVIDER_APPLE_SCOPE":              "name,email",
		"AUTH_PROVIDER_AZUREAD_TENANT":           "common",
		"AUTH_PROVIDER_ENTRAID_SCOPE":            "email,profile,openid,offline_access",
		"AUTH_PROVIDER_WINDOWS_LIVE_SCOPE":       "wl.basic,wl.emails",
		"AUTH_PROVIDER_OIDC_CLAIM_ID":            "sub",
		"AUTH_PROVIDER_GOOGLE_AUDIENCE":          "",
	} {
		require.Equal(t, want, byName[name].Default, name)
	}

	// The pointers fill the Config they came from.
	*byName["AUTH_PROVIDER_GITHUB_ENABLED"].Field.(*bool) = true
	*byName["AUTH_PROVIDER_GITHUB_CLIENT_ID"].Field.(*string) = "abc"
	*byName["AUTH_PROVIDER_GITHUB_SCOPE"].Field.(*[]string) = []string{"read:user", "user:email"}
	require.True(t, cfg.GitHub.Enabled)
	require.Equal(t, "abc", cfg.GitHub.ClientID)
	require.Equal(t, []string{"read:user", "user:email"}, cfg.GitHub.Scope)
}

func TestNewValidates(t *testing.T) {
	_, applePEM := appleTeamKey(t)
	cases := []struct {
		name string
		cfg  func(*providers.Config)
		opts providers.Options
		want []string // each must appear in the error
	}{
		{name: "client id and secret required", cfg: func(c *providers.Config) { c.GitHub.Enabled = true },
			want: []string{"AUTH_PROVIDER_GITHUB_CLIENT_ID is required when AUTH_PROVIDER_GITHUB_ENABLED is true",
				"AUTH_PROVIDER_GITHUB_CLIENT_SECRET is required"}},
		{name: "enterprise URL not absolute", cfg: func(c *providers.Config) {
			c.GitHub.OAuth2 = providers.OAuth2{Enabled: true, ClientID: "a", ClientSecret: "b", TokenURL: "ghe.example.com/login/oauth/access_token"}
		}, want: []string{"AUTH_PROVIDER_GITHUB_TOKEN_URL must be an absolute http(s) URL"}},
		{name: "emails URL", cfg: func(c *providers.Config) {
			c.Bitbucket = providers.OAuth2Emails{OAuth2: providers.OAuth2{Enabled: true, ClientID: "a", ClientSecret: "b"},
				UserEmailsURL: "ftp://x"}
		}, want: []string{"AUTH_PROVIDER_BITBUCKET_USER_EMAILS_URL must be an absolute http(s) URL"}},
		{name: "tenant", cfg: func(c *providers.Config) {
			c.EntraID = providers.Microsoft{OAuth2: providers.OAuth2{Enabled: true, ClientID: "a", ClientSecret: "b"}, Tenant: "a/b"}
		}, want: []string{"AUTH_PROVIDER_ENTRAID_TENANT must be a tenant id"}},
		{name: "apple", cfg: func(c *providers.Config) { c.Apple.Enabled = true },
			want: []string{"AUTH_PROVIDER_APPLE_CLIENT_ID is required", "AUTH_PROVIDER_APPLE_TEAM_ID is required",
				"AUTH_PROVIDER_APPLE_KEY_ID is required", "AUTH_PROVIDER_APPLE_PRIVATE_KEY is required"}},
		{name: "apple key not a key", cfg: func(c *providers.Config) {
			c.Apple = providers.Apple{Enabled: true, ClientID: "a", TeamID: "b", KeyID: "c", PrivateKey: "-----BEGIN PRIVATE KEY-----\nsecretstuff\n-----END PRIVATE KEY-----"}
		}, want: []string{"AUTH_PROVIDER_APPLE_PRIVATE_KEY: not an EC private key"}},
		{name: "apple key base64 of something else", cfg: func(c *providers.Config) {
			c.Apple = providers.Apple{Enabled: true, ClientID: "a", TeamID: "b", KeyID: "c", PrivateKey: "bm90IGEga2V5"}
		}, want: []string{"AUTH_PROVIDER_APPLE_PRIVATE_KEY: not an EC private key"}},
		{name: "twitter", cfg: func(c *providers.Config) { c.Twitter.Enabled = true },
			want: []string{"AUTH_PROVIDER_TWITTER_CONSUMER_KEY is required", "AUTH_PROVIDER_TWITTER_CONSUMER_SECRET is required"}},
		{name: "workos", cfg: func(c *providers.Config) { c.WorkOS.Enabled = true },
			want: []string{"AUTH_PROVIDER_WORKOS_CLIENT_ID is required"}},
		{name: "oidc", cfg: func(c *providers.Config) { c.OIDC = providers.OIDC{Enabled: true, Issuer: "keycloak/realms/x"} },
			want: []string{"AUTH_PROVIDER_OIDC_ISSUER must be an absolute http(s) URL", "AUTH_PROVIDER_OIDC_CLIENT_ID is required"}},
		{name: "google audience needs a key set URL", cfg: func(c *providers.Config) {
			c.Google = providers.Google{Audience: []string{"x"}, JWKSURL: "not a url"}
		}, want: []string{"AUTH_PROVIDER_GOOGLE_JWKS_URL must be an absolute http(s) URL"}},
		{name: "callbacks need the server URL", cfg: func(c *providers.Config) {
			c.Discord = providers.OAuth2{Enabled: true, ClientID: "a", ClientSecret: "b"}
		}, opts: providers.Options{CallbackBaseURL: "/v1"}, want: []string{"AUTH_SERVER_URL must be an absolute URL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cfg providers.Config
			tc.cfg(&cfg)
			opts := tc.opts
			if opts.CallbackBaseURL == "" {
				opts.CallbackBaseURL = "https://auth.example.com"
			}
			_, err := providers.New(cfg, opts)
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			require.NotContains(t, err.Error(), "secretstuff")
		})
	}

	t.Run("disabled providers are not checked", func(t *testing.T) {
		cfg := providers.Config{GitHub: providers.OAuth2Emails{OAuth2: providers.OAuth2{TokenURL: "nonsense"}}}
		reg, err := providers.New(cfg, providers.Options{})
		require.NoError(t, err)
		require.Empty(t, reg.Enabled())
	})
	t.Run("apple key formats hasura-auth accepts", func(t *testing.T) {
		for name, key := range map[string]string{
			"PEM":                applePEM,
			"PEM with \\n":       strings.ReplaceAll(applePEM, "\n", `\n`),
			"base64 of the PEM":  base64.StdEncoding.EncodeToString([]byte(applePEM)),
			"surrounding spaces": "  " + applePEM + "\n",
		} {
			cfg := providers.Config{Apple: providers.Apple{Enabled: true, ClientID: "a", TeamID: "b", KeyID: "c", PrivateKey: key}}
			reg, err := providers.New(cfg, providers.Options{CallbackBaseURL: "https://auth.example.com"})
			require.NoError(t, err, name)
			require.Equal(t, []string{"apple"}, reg.Enabled())
		}
	})
	t.Run("blank scopes take the defaults", func(t *testing.T) {
		cfg := providers.Config{Discord: providers.OAuth2{Enabled: true, ClientID: "a", ClientSecret: "b", Scope: []string{"", " "}}}
		reg, err := providers.New(cfg, providers.Options{CallbackBaseURL: "https://auth.example.com/"})
		require.NoError(t, err)
		p, _ := reg.Provider("discord")
		ar, err := p.AuthRequest(background(), "s")
		require.NoError(t, err)
		q := authParams(t, ar.URL)
		require.Equal(t, "identify email", q.Get("scope"))
		require.Equal(t, "https://auth.example.com/signin/provider/discord/callback", q.Get("redirect_uri"))
		require.True(t, strings.HasPrefix(ar.URL, "https://discord.com/api/oauth2/authorize?"))
	})
	t.Run("every provider at once", func(t *testing.T) {
		ok := providers.OAuth2{Enabled: true, ClientID: "a", ClientSecret: "b"}
		cfg := providers.Config{
			Apple:     providers.Apple{Enabled: true, ClientID: "a", TeamID: "b", KeyID: "c", PrivateKey: applePEM, Audience: []string{"a"}},
			AzureAD:   providers.Microsoft{OAuth2: ok},
			Bitbucket: providers.OAuth2Emails{OAuth2: ok}, Discord: ok, EntraID: providers.Microsoft{OAuth2: ok},
			Facebook: ok, GitHub: providers.OAuth2Emails{OAuth2: ok}, GitLab: ok,
			Google: providers.Google{OAuth2: ok, Audience: []string{"a"}}, LinkedIn: ok, Spotify: ok, Strava: ok, Twitch: ok,
			Twitter:     providers.Twitter{Enabled: true, ConsumerKey: "a", ConsumerSecret: "b"},
			WindowsLive: ok, WorkOS: providers.WorkOS{Enabled: true, ClientID: "a", ClientSecret: "b"},
			OIDC: providers.OIDC{Enabled: true, Issuer: "https://idp.example.com/realms/x", ClientID: "a"},
		}
		reg, err := providers.New(cfg, providers.Options{CallbackBaseURL: "https://auth.example.com"})
		require.NoError(t, err)
		require.Equal(t, []string{"apple", "azuread", "bitbucket", "discord", "entraid", "facebook", "github", "gitlab",
			"google", "linkedin", "oidc", "spotify", "strava", "twitch", "twitter", "windowslive", "workos"}, reg.Enabled())
		for _, name := range []string{"apple", "google", "oidc"} {
			_, ok := reg.IDTokenVerifier(name)
			require.True(t, ok, name)
		}
	})
}

// variables.md lists every variable for whoever wires the configuration and
// writes .env.example. Regenerate it with UPDATE_VARIABLES_MD=1 go test.
func TestVariablesDocument(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Provider variables\n\n")
	b.WriteString("Generated from `Config.Variables()` by TestVariablesDocument; do not edit.\n")
	b.WriteString("Lists are comma-separated. An empty value takes the default. `ours`: not in hasura-auth.\n\n")
	b.WriteString("| variable | default | notes |\n|---|---|---|\n")
	var cfg providers.Config
	for _, v := range cfg.Variables() {
		var notes []string
		if v.Secret {
			notes = append(notes, "secret")
		}
		if v.Ours {
			notes = append(notes, "ours")
		}
		def := v.Default
		if def != "" {
			def = "`" + def + "`"
		}
		switch {
		case strings.HasPrefix(v.Name, "AUTH_PROVIDER_AZUREAD_") && strings.HasSuffix(v.Name, "_URL"),
			strings.HasPrefix(v.Name, "AUTH_PROVIDER_ENTRAID_") && def == "" && strings.HasSuffix(v.Name, "_URL"):
			def = "from TENANT"
		case strings.HasSuffix(v.Name, "_USER_EMAILS_URL"):
			def = "USER_PROFILE_URL + `/emails`"
		case v.Name == "AUTH_PROVIDER_OIDC_AUDIENCE":
			def = "CLIENT_ID"
		}
		b.WriteString("| `" + v.Name + "` | " + def + " | " + strings.Join(notes, ", ") + " |\n")
	}
	const path = "variables.md"
	if os.Getenv("UPDATE_VARIABLES_MD") != "" {
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, b.String(), string(got), "run UPDATE_VARIABLES_MD=1 go test ./oauth/providers/ -run TestVariablesDocument")
}

func TestValidateChangesNothing(t *testing.T) {
	cfg := providers.Config{Discord: providers.OAuth2{Enabled: true, ClientID: "a", ClientSecret: "b", Scope: []string{" "}}}
	require.NoError(t, cfg.Validate())
	require.Equal(t, []string{" "}, cfg.Discord.Scope)
	require.Empty(t, cfg.Discord.TokenURL)
}
