package claims_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/config"
)

// The variables are parsed and checked at start, like every other setting.
func TestCustomClaimsConfigLoad(t *testing.T) {
	cfg, err := config.Load("", map[string]string{
		"AUTH_JWT_CUSTOM_CLAIMS":          `{"org-id":"profile.organisation.id","plan":"metadata.plan","label":"{{displayName}}"}`,
		"AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS": `{"org-id":"none","seats":12345678901234567890}`,
		"AUTH_JWT_CUSTOM_CLAIMS_FUNCTION": ` public.claims `,
		"HASURA_GRAPHQL_GRAPHQL_URL":      "http://hasura:8080/v1/graphql",
	})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"org-id": "profile.organisation.id", "plan": "metadata.plan", "label": "{{displayName}}"}, cfg.JWTCustomClaims)
	require.Equal(t, map[string]any{"org-id": "none", "seats": json.Number("12345678901234567890")}, cfg.JWTCustomClaimsDefaults)
	require.Equal(t, "public.claims", cfg.JWTCustomClaimsFunction)

	none, err := config.Load("", nil)
	require.NoError(t, err)
	require.False(t, none.CustomClaims().Enabled())
}

func TestCustomClaimsConfigErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AUTH_JWT_CUSTOM_CLAIMS": `{"org":`}, "AUTH_JWT_CUSTOM_CLAIMS: must be a JSON object"},
		{map[string]string{"AUTH_JWT_CUSTOM_CLAIMS": `["metadata.org"]`}, "AUTH_JWT_CUSTOM_CLAIMS: must be a JSON object"},
		{map[string]string{"AUTH_JWT_CUSTOM_CLAIMS": `{"org":{"path":"x"}}`}, "AUTH_JWT_CUSTOM_CLAIMS: must be a JSON object"},
		{map[string]string{"AUTH_JWT_CUSTOM_CLAIMS": `{"a":"metadata.a"} {}`}, "AUTH_JWT_CUSTOM_CLAIMS: must be a JSON object"},
		{map[string]string{"AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS": `{"org":}`}, "AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS: must be a JSON object"},
		{map[string]string{"AUTH_JWT_CUSTOM_CLAIMS": `{"org":"profile.org.id"}`}, "AUTH_JWT_CUSTOM_CLAIMS: paths through relationships are resolved by Hasura, but HASURA_GRAPHQL_GRAPHQL_URL is not set"},
		{map[string]string{"AUTH_JWT_CUSTOM_CLAIMS": `{"user-id":"metadata.id"}`}, "AUTH_JWT_CUSTOM_CLAIMS: claim \"user-id\": x-hasura-user-id is set by the server"},
		{map[string]string{"AUTH_JWT_CUSTOM_CLAIMS_FUNCTION": `claims()`}, "AUTH_JWT_CUSTOM_CLAIMS_FUNCTION: "},
	}
	for _, c := range cases {
		_, err := config.Load("", c.env)
		require.ErrorContains(t, err, c.want, "%v", c.env)
	}
}

// In a .env file the JSON goes in single quotes, as .env.example shows.
func TestCustomClaimsConfigDotEnv(t *testing.T) {
	f := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(f, []byte(`AUTH_JWT_CUSTOM_CLAIMS='{"org":"metadata.org","label":"{{displayName}} ({{metadata.org}})"}'
AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS='{"org":"none"}'
`), 0o600))
	cfg, err := config.Load(f, nil)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"org": "metadata.org", "label": "{{displayName}} ({{metadata.org}})"}, cfg.JWTCustomClaims)
	require.Equal(t, map[string]any{"org": "none"}, cfg.JWTCustomClaimsDefaults)
}
