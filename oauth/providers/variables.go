package providers

import (
	"fmt"
	"strings"
)

// hasuraAuthVariables are the provider variables hasura-auth reads (its
// go/cmd/serve.go at 838f397); every other variable of Config is ours.
var hasuraAuthVariables = func() map[string]bool {
	names := strings.Fields(`
AUTH_PROVIDER_APPLE_ENABLED AUTH_PROVIDER_APPLE_CLIENT_ID AUTH_PROVIDER_APPLE_TEAM_ID AUTH_PROVIDER_APPLE_KEY_ID
AUTH_PROVIDER_APPLE_PRIVATE_KEY AUTH_PROVIDER_APPLE_SCOPE AUTH_PROVIDER_APPLE_AUDIENCE
AUTH_PROVIDER_AZUREAD_ENABLED AUTH_PROVIDER_AZUREAD_CLIENT_ID AUTH_PROVIDER_AZUREAD_CLIENT_SECRET AUTH_PROVIDER_AZUREAD_TENANT AUTH_PROVIDER_AZUREAD_SCOPE
AUTH_PROVIDER_BITBUCKET_ENABLED AUTH_PROVIDER_BITBUCKET_CLIENT_ID AUTH_PROVIDER_BITBUCKET_CLIENT_SECRET AUTH_PROVIDER_BITBUCKET_SCOPE
AUTH_PROVIDER_DISCORD_ENABLED AUTH_PROVIDER_DISCORD_CLIENT_ID AUTH_PROVIDER_DISCORD_CLIENT_SECRET AUTH_PROVIDER_DISCORD_SCOPE
AUTH_PROVIDER_ENTRAID_ENABLED AUTH_PROVIDER_ENTRAID_CLIENT_ID AUTH_PROVIDER_ENTRAID_CLIENT_SECRET AUTH_PROVIDER_ENTRAID_TENANT AUTH_PROVIDER_ENTRAID_SCOPE
AUTH_PROVIDER_FACEBOOK_ENABLED AUTH_PROVIDER_FACEBOOK_CLIENT_ID AUTH_PROVIDER_FACEBOOK_CLIENT_SECRET AUTH_PROVIDER_FACEBOOK_SCOPE
AUTH_PROVIDER_GITHUB_ENABLED AUTH_PROVIDER_GITHUB_CLIENT_ID AUTH_PROVIDER_GITHUB_CLIENT_SECRET AUTH_PROVIDER_GITHUB_SCOPE
AUTH_PROVIDER_GITHUB_AUTHORIZATION_URL AUTH_PROVIDER_GITHUB_TOKEN_URL AUTH_PROVIDER_GITHUB_USER_PROFILE_URL
AUTH_PROVIDER_GITLAB_ENABLED AUTH_PROVIDER_GITLAB_CLIENT_ID AUTH_PROVIDER_GITLAB_CLIENT_SECRET AUTH_PROVIDER_GITLAB_SCOPE
AUTH_PROVIDER_GOOGLE_ENABLED AUTH_PROVIDER_GOOGLE_CLIENT_ID AUTH_PROVIDER_GOOGLE_CLIENT_SECRET AUTH_PROVIDER_GOOGLE_SCOPE AUTH_PROVIDER_GOOGLE_AUDIENCE
AUTH_PROVIDER_LINKEDIN_ENABLED AUTH_PROVIDER_LINKEDIN_CLIENT_ID AUTH_PROVIDER_LINKEDIN_CLIENT_SECRET AUTH_PROVIDER_LINKEDIN_SCOPE
AUTH_PROVIDER_SPOTIFY_ENABLED AUTH_PROVIDER_SPOTIFY_CLIENT_ID AUTH_PROVIDER_SPOTIFY_CLIENT_SECRET AUTH_PROVIDER_SPOTIFY_SCOPE
AUTH_PROVIDER_STRAVA_ENABLED AUTH_PROVIDER_STRAVA_CLIENT_ID AUTH_PROVIDER_STRAVA_CLIENT_SECRET AUTH_PROVIDER_STRAVA_SCOPE
AUTH_PROVIDER_TWITCH_ENABLED AUTH_PROVIDER_TWITCH_CLIENT_ID AUTH_PROVIDER_TWITCH_CLIENT_SECRET AUTH_PROVIDER_TWITCH_SCOPE
AUTH_PROVIDER_TWITTER_ENABLED AUTH_PROVIDER_TWITTER_CONSUMER_KEY AUTH_PROVIDER_TWITTER_CONSUMER_SECRET
AUTH_PROVIDER_WINDOWS_LIVE_ENABLED AUTH_PROVIDER_WINDOWS_LIVE_CLIENT_ID AUTH_PROVIDER_WINDOWS_LIVE_CLIENT_SECRET AUTH_PROVIDER_WINDOWS_LIVE_SCOPE
AUTH_PROVIDER_WORKOS_ENABLED AUTH_PROVIDER_WORKOS_CLIENT_ID AUTH_PROVIDER_WORKOS_CLIENT_SECRET
AUTH_PROVIDER_WORKOS_DEFAULT_ORGANIZATION AUTH_PROVIDER_WORKOS_DEFAULT_CONNECTION AUTH_PROVIDER_WORKOS_DEFAULT_DOMAIN`)
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}()

// HasuraAuthVariable reports whether hasura-auth reads the variable name.
func HasuraAuthVariable(name string) bool { return hasuraAuthVariables[name] }

// variableDocs say what each variable does, by the part of its name after
// the provider (%s is the provider's name). A provider-specific entry
// ("OIDC_AUDIENCE") wins over the generic one ("AUDIENCE").
var variableDocs = map[string]string{
	"ENABLED":           "true: users may sign in with %s.",
	"CLIENT_ID":         "%s OAuth client id.",
	"CLIENT_SECRET":     "%s OAuth client secret.",
	"SCOPE":             "Comma-separated scopes asked of %s; empty: the default.",
	"AUTHORIZATION_URL": "%s's authorization endpoint; change it for a proxy, a test server or an enterprise install.",
	"TOKEN_URL":         "%s's token endpoint.",
	"USER_PROFILE_URL":  "%s's profile API.",
	"USER_EMAILS_URL":   "%s's email addresses API; empty: USER_PROFILE_URL + /emails.",
	"JWKS_URL":          "%s's ID token signing keys (JWKS).",
	"AUDIENCE": "Comma-separated client ids of your apps whose %s ID tokens POST /signin/idtoken and /link/idtoken accept; " +
		"setting it enables them (also with the redirect sign-in disabled).",
	"TENANT":               "%s tenant: common, organizations, consumers, a tenant id or a domain; the endpoints are derived from it unless set.",
	"TEAM_ID":              "%s developer team id.",
	"KEY_ID":               "Id of the %s key that signs client secrets.",
	"PRIVATE_KEY":          "That key itself: the .p8 file's PEM, the PEM with \\n for line breaks, or its base64.",
	"CONSUMER_KEY":         "%s OAuth 1.0a consumer (API) key.",
	"CONSUMER_SECRET":      "%s OAuth 1.0a consumer (API) secret.",
	"REQUEST_TOKEN_URL":    "%s's OAuth 1.0a request token endpoint.",
	"ACCESS_TOKEN_URL":     "%s's OAuth 1.0a access token endpoint.",
	"DEFAULT_ORGANIZATION": "%s organization used when the request names none.",
	"DEFAULT_CONNECTION":   "%s connection used when the request names none.",
	"DEFAULT_DOMAIN":       "%s domain used when the request names none.",
	"OIDC_ENABLED":         "true: users may sign in with any OpenID Connect provider (Keycloak, Auth0, Okta, Zitadel, Dex, Authentik, …), path name oidc.",
	"OIDC_ISSUER":          "The provider's issuer URL; its /.well-known/openid-configuration is read on first use.",
	"OIDC_CLIENT_SECRET":   "OpenID Connect client secret; empty for a public client (PKCE only).",
	"OIDC_AUDIENCE":        "Comma-separated audiences accepted in ID tokens given to POST /signin/idtoken and /link/idtoken; empty: CLIENT_ID.",
	"OIDC_CLAIM_ID":        "Claim holding the account's stable id.",
	"OIDC_CLAIM_EMAIL":     "Claim holding the email address.",
	"OIDC_CLAIM_EMAIL_VERIFIED": "Claim saying the provider verified the address (true or \"true\"); " +
		"an address not marked verified never links to an existing user.",
	"OIDC_CLAIM_NAME":    "Claim holding the display name.",
	"OIDC_CLAIM_PICTURE": "Claim holding the avatar URL.",
	"OIDC_CLAIM_LOCALE":  "Claim holding the locale.",
}

// variableDoc is the documentation of v, from variableDocs.
func variableDoc(v Variable) string {
	rest, _ := strings.CutPrefix(v.Name, "AUTH_PROVIDER_")
	// The provider part of a name may hold underscores (WINDOWS_LIVE), and
	// an ending may too (CLIENT_ID): the longest known ending wins.
	best := ""
	for key := range variableDocs {
		if (rest == key || strings.HasSuffix(rest, "_"+key)) && len(key) > len(best) {
			best = key
		}
	}
	if best == "" {
		return ""
	}
	doc := variableDocs[best]
	if strings.Contains(doc, "%s") {
		doc = fmt.Sprintf(doc, v.Provider)
	}
	return doc
}
