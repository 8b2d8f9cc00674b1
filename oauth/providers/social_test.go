package providers_test

import (
	"testing"

	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/stretchr/testify/require"
)

// The JSON below follows each provider's documented answers (the page is
// cited above each); values are the documentation's examples or made up.

// GET /user and GET /user/emails:
// https://docs.github.com/en/rest/users/users#get-the-authenticated-user
// https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user
const githubUser = `{"login":"octocat","id":1,"node_id":"MDQ6VXNlcjE=","avatar_url":"https://github.com/images/error/octocat_happy.gif",
 "type":"User","site_admin":false,"name":"monalisa octocat","company":"GitHub","email":"octocat@github.com"}`

func TestGitHub(t *testing.T) {
	// Paths as GitHub Enterprise Server serves them: the emails page is
	// found next to the overridden profile URL.
	s := oauthSetup{name: "github", pkce: true, profilePath: "/api/v3/user", scope: "user:email",
		enable: func(c *providers.Config, f *fake) { common(&c.GitHub.OAuth2, f, "/api/v3/user") }}
	emails := func(body string) map[string]answer {
		return map[string]answer{"/api/v3/user": jsonAnswer(githubUser), "/api/v3/user/emails": jsonAnswer(body)}
	}
	want := func(email string, verified bool) providers.Profile {
		return providers.Profile{ProviderUserID: "1", Email: email, EmailVerified: verified,
			DisplayName: "monalisa octocat", AvatarURL: "https://github.com/images/error/octocat_happy.gif"}
	}
	runProfiles(t, s, []profileCase{
		{name: "primary verified", pages: emails(`[{"email":"other@example.com","verified":true,"primary":false,"visibility":null},
			{"email":"octocat@github.com","verified":true,"primary":true,"visibility":"public"}]`),
			want: want("octocat@github.com", true)},
		{name: "primary unverified, another verified", pages: emails(`[{"email":"octocat@github.com","verified":false,"primary":true},
			{"email":"work@example.com","verified":true,"primary":false}]`),
			want: want("work@example.com", true)},
		{name: "nothing verified", pages: emails(`[{"email":"old@example.com","verified":false,"primary":false},
			{"email":"octocat@github.com","verified":false,"primary":true}]`),
			want: want("octocat@github.com", false)},
		{name: "no address", pages: emails(`[]`), want: want("", false)},
		{name: "no name: login", pages: map[string]answer{
			"/api/v3/user":        jsonAnswer(`{"login":"octocat","id":583231,"avatar_url":"","name":null}`),
			"/api/v3/user/emails": jsonAnswer(`[]`)},
			want: providers.Profile{ProviderUserID: "583231", DisplayName: "octocat"}},
	})
	runErrors(t, s, emails(`[]`))

	t.Run("form-encoded token answer", func(t *testing.T) {
		// GitHub answers application/x-www-form-urlencoded unless asked for JSON.
		f := newFake(t)
		f.setToken(answer{status: 200, contentType: "application/x-www-form-urlencoded",
			body: "access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=user%3Aemail&token_type=bearer"})
		for p, a := range emails(`[{"email":"octocat@github.com","verified":true,"primary":true}]`) {
			f.set(p, a)
		}
		id, err := signIn(t, s, f)
		require.NoError(t, err)
		require.Equal(t, "gho_16C7e42F292c6912E7710c838347Ae178B4a", id.Token.AccessToken)
		require.Empty(t, id.Token.RefreshToken)
		require.True(t, id.Token.Expiry.IsZero())
		require.Equal(t, "client-1", f.lastTokenRequest().Get("client_id"))
		require.Equal(t, "secret-1", f.lastTokenRequest().Get("client_secret"))
		require.Equal(t, "2022-11-28", f.header("/api/v3/user/emails").Get("X-GitHub-Api-Version"))
	})
	t.Run("code refused with a 200 answer", func(t *testing.T) {
		// GitHub reports a bad code with status 200 and an error field.
		f := newFake(t)
		f.setToken(answer{status: 200, contentType: "application/x-www-form-urlencoded",
			body: "error=bad_verification_code&error_description=The+code+passed+is+incorrect+or+expired."})
		_, err := signIn(t, s, f)
		pe := requireKind(t, err, providers.ErrProvider, providers.StageExchange)
		require.Equal(t, "bad_verification_code", pe.Code)
		require.Equal(t, "The code passed is incorrect or expired.", pe.Description)
	})
	t.Run("emails page refused", func(t *testing.T) {
		f := newFake(t)
		f.setToken(tokenJSON(""))
		f.set("/api/v3/user", jsonAnswer(githubUser))
		f.set("/api/v3/user/emails", answer{status: 403, body: `{"message":"Resource not accessible by integration"}`})
		_, err := signIn(t, s, f)
		requireKind(t, err, providers.ErrProvider, providers.StageProfile)
	})
}

// GET /2.0/user and GET /2.0/user/emails:
// https://developer.atlassian.com/cloud/bitbucket/rest/api-group-users/
func TestBitbucket(t *testing.T) {
	s := oauthSetup{name: "bitbucket", profilePath: "/2.0/user", scope: "account",
		enable: func(c *providers.Config, f *fake) { common(&c.Bitbucket.OAuth2, f, "/2.0/user") }}
	const user = `{"type":"user","uuid":"{d301aafa-d676-4ee0-88be-962be7417567}","display_name":"Atlassian User",
		"account_id":"557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443","links":{"avatar":{"href":"https://secure.gravatar.com/avatar/abc"}}}`
	pages := func(emails string) map[string]answer {
		return map[string]answer{"/2.0/user": jsonAnswer(user), "/2.0/user/emails": jsonAnswer(emails)}
	}
	want := func(email string, verified bool) providers.Profile {
		return providers.Profile{ProviderUserID: "{d301aafa-d676-4ee0-88be-962be7417567}", Email: email,
			EmailVerified: verified, DisplayName: "Atlassian User", AvatarURL: "https://secure.gravatar.com/avatar/abc"}
	}
	runProfiles(t, s, []profileCase{
		{name: "primary confirmed", pages: pages(`{"pagelen":10,"page":1,"size":2,"values":[
			{"is_primary":false,"is_confirmed":true,"type":"email","email":"second@example.com"},
			{"is_primary":true,"is_confirmed":true,"type":"email","email":"user@example.com"}]}`),
			want: want("user@example.com", true)},
		{name: "unconfirmed only", pages: pages(`{"values":[{"is_primary":true,"is_confirmed":false,"type":"email","email":"user@example.com"}]}`),
			want: want("user@example.com", false)},
	})
	runErrors(t, s, pages(`{"values":[]}`))
	t.Run("client authenticates with HTTP Basic", func(t *testing.T) {
		f := newFake(t)
		f.setToken(tokenJSON(""))
		for p, a := range pages(`{"values":[]}`) {
			f.set(p, a)
		}
		_, err := signIn(t, s, f)
		require.NoError(t, err)
		require.Equal(t, "client-1", f.lastTokenRequest().Get("basic_client_id"))
		require.Equal(t, "secret-1", f.lastTokenRequest().Get("basic_client_secret"))
	})
}

// GET /users/@me: https://discord.com/developers/docs/resources/user#get-current-user
// (example of the user object, with the email scope's fields).
func TestDiscord(t *testing.T) {
	s := oauthSetup{name: "discord", pkce: true, profilePath: "/api/users/@me", scope: "identify email",
		enable: func(c *providers.Config, f *fake) { common(&c.Discord, f, "/api/users/@me") }}
	runProfiles(t, s, []profileCase{
		{name: "legacy tag, verified", pages: map[string]answer{"/api/users/@me": jsonAnswer(`{"id":"80351110224678912",
			"username":"Nelly","discriminator":"1337","avatar":"8342729096ea3675442027381ff50dfe","verified":true,
			"email":"nelly@discord.com","flags":64,"premium_type":1,"public_flags":64,"locale":"en-US"}`)},
			want: providers.Profile{ProviderUserID: "80351110224678912", Email: "nelly@discord.com", EmailVerified: true,
				DisplayName: "Nelly#1337", AvatarURL: "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png",
				Locale: "en"}},
		{name: "global name, unverified, no avatar", pages: map[string]answer{"/api/users/@me": jsonAnswer(`{"id":"1",
			"username":"nelly","discriminator":"0","global_name":"Nelly N.","avatar":null,"verified":false,
			"email":"nelly@example.com","locale":"pt-BR"}`)},
			want: providers.Profile{ProviderUserID: "1", Email: "nelly@example.com", DisplayName: "Nelly N.", Locale: "pt"}},
	})
	runErrors(t, s, nil)
}

// GET /me?fields=id,name,email,picture:
// https://developers.facebook.com/docs/graph-api/reference/user/
func TestFacebook(t *testing.T) {
	s := oauthSetup{name: "facebook", profilePath: "/me", scope: "email", enable: func(c *providers.Config, f *fake) {
		common(&c.Facebook, f, "/me?fields=id,name,email,picture")
	}}
	runProfiles(t, s, []profileCase{
		{name: "with email", pages: map[string]answer{"/me": jsonAnswer(`{"id":"4","name":"Mark Zuckerberg",
			"email":"zuck@example.com","picture":{"data":{"height":50,"is_silhouette":false,
			"url":"https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=4","width":50}}}`)},
			// Facebook does not say the address is verified.
			want: providers.Profile{ProviderUserID: "4", Email: "zuck@example.com", DisplayName: "Mark Zuckerberg",
				AvatarURL: "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=4"}},
		{name: "phone-only account", pages: map[string]answer{"/me": jsonAnswer(`{"id":"10","name":"No Mail"}`)},
			want: providers.Profile{ProviderUserID: "10", DisplayName: "No Mail"}},
	})
	runErrors(t, s, nil)
}

// GET /api/v4/user: https://docs.gitlab.com/api/users/#get-the-current-user
func TestGitLab(t *testing.T) {
	s := oauthSetup{name: "gitlab", pkce: true, profilePath: "/api/v4/user", scope: "read_user",
		enable: func(c *providers.Config, f *fake) { common(&c.GitLab, f, "/api/v4/user") }}
	runProfiles(t, s, []profileCase{
		{name: "confirmed", pages: map[string]answer{"/api/v4/user": jsonAnswer(`{"id":1,"username":"john_smith",
			"email":"john@example.com","name":"John Smith","state":"active","locked":false,
			"avatar_url":"http://localhost:3000/uploads/user/avatar/1/index.jpg","web_url":"http://localhost:3000/john_smith",
			"created_at":"2012-05-23T08:00:58Z","confirmed_at":"2012-05-23T09:05:22Z"}`)},
			want: providers.Profile{ProviderUserID: "1", Email: "john@example.com", EmailVerified: true,
				DisplayName: "John Smith", AvatarURL: "http://localhost:3000/uploads/user/avatar/1/index.jpg"}},
		{name: "unconfirmed", pages: map[string]answer{"/api/v4/user": jsonAnswer(`{"id":2,"username":"jane",
			"email":"jane@example.com","name":"","confirmed_at":null}`)},
			want: providers.Profile{ProviderUserID: "2", Email: "jane@example.com", DisplayName: "jane"}},
	})
	runErrors(t, s, nil)
}

// GET /v2/userinfo (Sign In with LinkedIn using OpenID Connect):
// https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
func TestLinkedIn(t *testing.T) {
	s := oauthSetup{name: "linkedin", profilePath: "/v2/userinfo", scope: "openid profile email",
		enable: func(c *providers.Config, f *fake) { common(&c.LinkedIn, f, "/v2/userinfo") }}
	runProfiles(t, s, []profileCase{
		{name: "full", pages: map[string]answer{"/v2/userinfo": jsonAnswer(`{"sub":"782bbtaQ","name":"John Doe",
			"given_name":"John","family_name":"Doe","picture":"https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/",
			"locale":{"country":"US","language":"en"},"email":"doe@email.com","email_verified":true}`)},
			want: providers.Profile{ProviderUserID: "782bbtaQ", Email: "doe@email.com", EmailVerified: true,
				DisplayName: "John Doe", AvatarURL: "https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/", Locale: "en"}},
		{name: "names only, unverified", pages: map[string]answer{"/v2/userinfo": jsonAnswer(`{"sub":"x1",
			"given_name":"Ada","family_name":"Lovelace","locale":"fr_FR","email":"ada@example.com","email_verified":false}`)},
			want: providers.Profile{ProviderUserID: "x1", Email: "ada@example.com", DisplayName: "Ada Lovelace", Locale: "fr"}},
	})
	runErrors(t, s, nil)
}

// GET /v1/me: https://developer.spotify.com/documentation/web-api/reference/get-current-users-profile
func TestSpotify(t *testing.T) {
	s := oauthSetup{name: "spotify", pkce: true, profilePath: "/v1/me", scope: "user-read-email user-read-private",
		enable: func(c *providers.Config, f *fake) { common(&c.Spotify, f, "/v1/me") }}
	runProfiles(t, s, []profileCase{
		{name: "documented example", pages: map[string]answer{"/v1/me": jsonAnswer(`{"country":"SE","display_name":"JM Wizzler",
			"email":"email@example.com","explicit_content":{"filter_enabled":false,"filter_locked":false},
			"external_urls":{"spotify":"https://open.spotify.com/user/wizzler"},"followers":{"href":null,"total":3829},
			"href":"https://api.spotify.com/v1/users/wizzler","id":"wizzler",
			"images":[{"height":null,"url":"https://i.scdn.co/image/ab67757000003b82","width":null}],
			"product":"premium","type":"user","uri":"spotify:user:wizzler"}`)},
			// Spotify: "This email address is unverified".
			want: providers.Profile{ProviderUserID: "wizzler", Email: "email@example.com", DisplayName: "JM Wizzler",
				AvatarURL: "https://i.scdn.co/image/ab67757000003b82"}},
		{name: "no images", pages: map[string]answer{"/v1/me": jsonAnswer(`{"id":"u2","display_name":null,"images":[]}`)},
			want: providers.Profile{ProviderUserID: "u2"}},
	})
	runErrors(t, s, nil)
}

// GET /api/v3/athlete: https://developers.strava.com/docs/reference/#api-Athletes-getLoggedInAthlete
func TestStrava(t *testing.T) {
	s := oauthSetup{name: "strava", profilePath: "/api/v3/athlete", scope: "profile:read_all",
		enable: func(c *providers.Config, f *fake) { common(&c.Strava, f, "/api/v3/athlete") }}
	runProfiles(t, s, []profileCase{
		{name: "documented example", pages: map[string]answer{"/api/v3/athlete": jsonAnswer(`{"id":1234567890987654321,
			"username":"marianne_t","resource_state":3,"firstname":"Marianne","lastname":"Teutenberg","city":"San Francisco",
			"state":"CA","country":"US","sex":"F","premium":true,
			"profile_medium":"https://xxxxxx.cloudfront.net/pictures/athletes/123456789/123456789/2/medium.jpg",
			"profile":"https://xxxxx.cloudfront.net/pictures/athletes/123456789/123456789/2/large.jpg"}`)},
			// The id exceeds 2^53: it must come through exactly.
			want: providers.Profile{ProviderUserID: "1234567890987654321", DisplayName: "Marianne Teutenberg",
				AvatarURL: "https://xxxxxx.cloudfront.net/pictures/athletes/123456789/123456789/2/medium.jpg"}},
	})
	runErrors(t, s, nil)
	t.Run("asks for consent each time", func(t *testing.T) {
		_, ar := start(t, s, newFake(t))
		require.Equal(t, "force", authParams(t, ar.URL).Get("approval_prompt"))
	})
}

// GET /helix/users: https://dev.twitch.tv/docs/api/reference/#get-users
func TestTwitch(t *testing.T) {
	s := oauthSetup{name: "twitch", profilePath: "/helix/users", scope: "user:read:email",
		enable: func(c *providers.Config, f *fake) { common(&c.Twitch, f, "/helix/users") }}
	runProfiles(t, s, []profileCase{
		{name: "documented example", pages: map[string]answer{"/helix/users": jsonAnswer(`{"data":[{"id":"141981764",
			"login":"twitchdev","display_name":"TwitchDev","type":"","broadcaster_type":"partner",
			"description":"Supporting third-party developers building Twitch integrations",
			"profile_image_url":"https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7-profile_image-300x300.png",
			"offline_image_url":"https://static-cdn.jtvnw.net/jtv_user_pictures/3f13ab61-channel_offline_image-1920x1080.png",
			"view_count":5980557,"email":"not-real@email.com","created_at":"2016-12-14T20:32:28Z"}]}`)},
			want: providers.Profile{ProviderUserID: "141981764", Email: "not-real@email.com", EmailVerified: true,
				DisplayName: "TwitchDev", AvatarURL: "https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7-profile_image-300x300.png"}},
	})
	runErrors(t, s, nil)
	t.Run("no user in the answer", func(t *testing.T) {
		f := newFake(t)
		f.setToken(tokenJSON(""))
		f.set("/helix/users", jsonAnswer(`{"data":[]}`))
		_, err := signIn(t, s, f)
		requireKind(t, err, providers.ErrBadResponse, providers.StageProfile)
		require.Equal(t, "client-1", f.header("/helix/users").Get("Client-Id"))
	})
}

// GET /v5.0/me (Live Connect REST API, user object with wl.basic and wl.emails).
func TestWindowsLive(t *testing.T) {
	s := oauthSetup{name: "windowslive", profilePath: "/v5.0/me", scope: "wl.basic wl.emails",
		enable: func(c *providers.Config, f *fake) { common(&c.WindowsLive, f, "/v5.0/me") }}
	runProfiles(t, s, []profileCase{
		{name: "preferred address", pages: map[string]answer{"/v5.0/me": jsonAnswer(`{"id":"8c8ce076ca27823f",
			"name":"Roberto Tamburello","first_name":"Roberto","last_name":"Tamburello","gender":null,"locale":"en_US",
			"emails":{"preferred":"Roberto@contoso.com","account":"Roberto@contoso.com","personal":null,"business":null}}`)},
			want: providers.Profile{ProviderUserID: "8c8ce076ca27823f", Email: "Roberto@contoso.com",
				DisplayName: "Roberto Tamburello", Locale: "en"}},
		{name: "account address only", pages: map[string]answer{"/v5.0/me": jsonAnswer(`{"id":"a1","first_name":"Ann",
			"last_name":"Lee","emails":{"preferred":null,"account":"ann@example.com"}}`)},
			want: providers.Profile{ProviderUserID: "a1", Email: "ann@example.com", DisplayName: "Ann Lee"}},
	})
	runErrors(t, s, nil)
}

// GET /sso/profile: https://workos.com/docs/reference/sso/profile
func TestWorkOS(t *testing.T) {
	s := oauthSetup{name: "workos", profilePath: "/sso/profile", enable: func(c *providers.Config, f *fake) {
		c.WorkOS = providers.WorkOS{Enabled: true, ClientID: "client-1", ClientSecret: "secret-1",
			DefaultOrganization: "org_01EHWNCE74X7JSDV0X3SZ3KJNY", DefaultDomain: "example.com",
			AuthorizationURL: f.url("/authorize"), TokenURL: f.url("/token"), UserProfileURL: f.url("/sso/profile")}
	}}
	runProfiles(t, s, []profileCase{
		{name: "documented example", pages: map[string]answer{"/sso/profile": jsonAnswer(`{"object":"profile",
			"id":"prof_01DMC79VCBZ0NY2099737PSVF1","connection_id":"conn_01E4ZCR3C56J083X43JQXF3JK5",
			"connection_type":"OktaSAML","organization_id":"org_01EHWNCE74X7JSDV0X3SZ3KJNY","email":"todd@example.com",
			"first_name":"Todd","last_name":"Rundgren","idp_id":"00u1a0ufowBJlzPlk357","raw_attributes":{}}`)},
			want: providers.Profile{ProviderUserID: "prof_01DMC79VCBZ0NY2099737PSVF1", Email: "todd@example.com",
				EmailVerified: true, DisplayName: "Todd Rundgren"}},
	})
	runErrors(t, s, nil)
	t.Run("defaults pick the connection", func(t *testing.T) {
		_, ar := start(t, s, newFake(t))
		q := authParams(t, ar.URL)
		require.Equal(t, "org_01EHWNCE74X7JSDV0X3SZ3KJNY", q.Get("organization"))
		require.Equal(t, "example.com", q.Get("domain"))
		require.False(t, q.Has("connection"))
		require.False(t, q.Has("scope"))
	})
}

// GET {tenant}/openid/userinfo (v1) and graph.microsoft.com/oidc/userinfo:
// https://learn.microsoft.com/en-us/entra/identity-platform/userinfo
func TestAzureAD(t *testing.T) {
	s := oauthSetup{name: "azuread", profilePath: "/contoso/openid/userinfo", scope: "email profile openid offline_access",
		enable: func(c *providers.Config, f *fake) { common(&c.AzureAD.OAuth2, f, "/contoso/openid/userinfo") }}
	runProfiles(t, s, []profileCase{
		{name: "email claim", pages: map[string]answer{"/contoso/openid/userinfo": jsonAnswer(`{"sub":"OLu859SGc2Sr9ZsqbkG-QbeLgJlb41KcdiPoLYNpSFA",
			"oid":"00000000-0000-0000-66f3-3332eca7ea81","name":"Mikah Ollenburg","family_name":"Ollenburg","given_name":"Mikah",
			"email":"mikoll@contoso.com","upn":"mikoll@contoso.onmicrosoft.com"}`)},
			// Tenant administrators set this claim freely: never verified.
			want: providers.Profile{ProviderUserID: "00000000-0000-0000-66f3-3332eca7ea81", Email: "mikoll@contoso.com",
				DisplayName: "Mikah Ollenburg"}},
		{name: "upn only", pages: map[string]answer{"/contoso/openid/userinfo": jsonAnswer(`{"oid":"o-2","name":"Kim",
			"upn":"kim@contoso.onmicrosoft.com"}`)},
			want: providers.Profile{ProviderUserID: "o-2", Email: "kim@contoso.onmicrosoft.com", DisplayName: "Kim"}},
	})
	runErrors(t, s, nil)
	t.Run("tenant endpoints and account picker", func(t *testing.T) {
		cfg := providers.Config{AzureAD: providers.Microsoft{Tenant: "contoso.onmicrosoft.com",
			OAuth2: providers.OAuth2{Enabled: true, ClientID: "c", ClientSecret: "s"}}}
		p, ok := registry(t, cfg, nil).Provider("azuread")
		require.True(t, ok)
		ar, err := p.AuthRequest(background(), "st")
		require.NoError(t, err)
		require.Contains(t, ar.URL, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/authorize?")
		require.Equal(t, "select_account", authParams(t, ar.URL).Get("prompt"))
	})
}

func TestEntraID(t *testing.T) {
	s := oauthSetup{name: "entraid", pkce: true, profilePath: "/oidc/userinfo", scope: "email profile openid offline_access",
		enable: func(c *providers.Config, f *fake) { common(&c.EntraID.OAuth2, f, "/oidc/userinfo") }}
	runProfiles(t, s, []profileCase{
		{name: "documented example", pages: map[string]answer{"/oidc/userinfo": jsonAnswer(`{"sub":"OLu859SGc2Sr9ZsqbkG-QbeLgJlb41KcdiPoLYNpSFA",
			"name":"Mikah Ollenburg","family_name":"Ollenburg","given_name":"Mikah",
			"picture":"https://graph.microsoft.com/v1.0/me/photo/$value","email":"mikoll@contoso.com"}`)},
			want: providers.Profile{ProviderUserID: "OLu859SGc2Sr9ZsqbkG-QbeLgJlb41KcdiPoLYNpSFA", Email: "mikoll@contoso.com",
				DisplayName: "Mikah Ollenburg"}},
		{name: "given and family names", pages: map[string]answer{"/oidc/userinfo": jsonAnswer(`{"sub":"s2",
			"given_name":"Mikah","family_name":"Ollenburg"}`)},
			want: providers.Profile{ProviderUserID: "s2", DisplayName: "Mikah Ollenburg"}},
	})
	runErrors(t, s, nil)
	t.Run("tenant endpoints", func(t *testing.T) {
		cfg := providers.Config{EntraID: providers.Microsoft{OAuth2: providers.OAuth2{Enabled: true, ClientID: "c", ClientSecret: "s"}}}
		p, ok := registry(t, cfg, nil).Provider("entraid")
		require.True(t, ok)
		ar, err := p.AuthRequest(background(), "st")
		require.NoError(t, err)
		require.Contains(t, ar.URL, "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?")
	})
}
