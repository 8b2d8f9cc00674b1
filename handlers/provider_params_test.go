package handlers_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/oauth/providertest"
)

// nhost's state and providerSpecificParams on GET /signin/provider/{provider}.

// The application's state comes back on the redirect that ends the sign-in,
// whatever the outcome, as nhost gives it back.
func TestProviderStateReturned(t *testing.T) {
	pe := newProviderEnv(t, nil)

	pe.github.Next(providertest.Account{ID: "6001", Email: "state@example.com", Verified: true})
	l := newBrowser(t).visit(pe.startURL("github", url.Values{"redirectTo": {appURL + "/done?tab=2"}, "state": {"app's state/ü&x=1"}}))
	l.refreshToken(t)
	require.Equal(t, "app's state/ü&x=1", l.query().Get("state"))
	require.Equal(t, "2", l.query().Get("tab"), "the redirect's own query kept")

	// A refusal at the provider, and a failure after it, carry it too.
	pe.github.DenyNext()
	l = newBrowser(t).visit(pe.startURL("github", url.Values{"redirectTo": {appURL}, "state": {"s1"}}))
	l.requireError(t, "oauth-provider-error")
	require.Equal(t, "s1", l.query().Get("state"))
	pe.github.FailTokens(400)
	l = newBrowser(t).visit(pe.startURL("github", url.Values{"redirectTo": {appURL}, "state": {"s2"}}))
	pe.github.FailTokens(0)
	l.requireError(t, "oauth-token-echange-failed")
	require.Equal(t, "s2", l.query().Get("state"))

	// None given, none returned; the state sent to the provider is ours.
	pe.github.Next(providertest.Account{ID: "6001"})
	b := newBrowser(t)
	authorize := b.stopAtProvider(pe.startURL("github", url.Values{"state": {"mine"}}))
	u, err := url.Parse(authorize)
	require.NoError(t, err)
	require.NotEqual(t, "mine", u.Query().Get("state"), "the provider gets our own unguessable state")
	pe.github.Next(providertest.Account{ID: "6001"})
	l = newBrowser(t).visit(pe.startURL("github", nil))
	l.refreshToken(t)
	require.False(t, l.query().Has("state"))

	// Too long: refused before the provider, nothing kept.
	before := pe.rows()
	l = newBrowser(t).visit(pe.startURL("github", url.Values{"redirectTo": {appURL}, "state": {strings.Repeat("s", 2049)}}))
	l.requireError(t, "invalid-request")
	require.Equal(t, before, pe.rows())
}

// providerSpecificParams (style form, explode true: connection and
// organization as the query's own parameters) go to WorkOS's authorization
// page in place of the configured defaults; other providers ignore them.
func TestProviderSpecificParams(t *testing.T) {
	pe := newProviderEnv(t, map[string]string{
		"AUTH_PROVIDER_WORKOS_ENABLED":              "true",
		"AUTH_PROVIDER_WORKOS_CLIENT_ID":            "workos-client",
		"AUTH_PROVIDER_WORKOS_CLIENT_SECRET":        "workos-secret",
		"AUTH_PROVIDER_WORKOS_DEFAULT_ORGANIZATION": "org_default",
		"AUTH_PROVIDER_WORKOS_DEFAULT_DOMAIN":       "corp.example",
	})
	authorize := func(provider string, q url.Values) url.Values {
		t.Helper()
		u, err := url.Parse(newBrowser(t).stopAtProvider(pe.startURL(provider, q)))
		require.NoError(t, err)
		return u.Query()
	}
	for name, tc := range map[string]struct {
		query                    url.Values
		organization, connection string
	}{
		"defaults":          {nil, "org_default", ""},
		"an organization":   {url.Values{"organization": {"org_42"}}, "org_42", ""},
		"a connection":      {url.Values{"connection": {"conn_7"}}, "org_default", "conn_7"},
		"both":              {url.Values{"organization": {"org_42"}, "connection": {"conn_7"}}, "org_42", "conn_7"},
		"empty is not sent": {url.Values{"organization": {""}}, "org_default", ""},
	} {
		t.Run(name, func(t *testing.T) {
			q := authorize("workos", tc.query)
			require.Equal(t, tc.organization, q.Get("organization"))
			require.Equal(t, tc.connection, q.Get("connection"))
			require.Equal(t, "corp.example", q.Get("domain"))
			require.Equal(t, []string{q.Get("organization")}, q["organization"], "sent once")
		})
	}
	q := authorize("github", url.Values{"organization": {"org_42"}, "connection": {"conn_7"}})
	require.False(t, q.Has("organization") || q.Has("connection"), "GitHub has no such parameters: %v", q)
}
