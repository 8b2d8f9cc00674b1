package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
	rl "github.com/hasura-auth-go/auth/ratelimit"
)

// Route is one endpoint with everything the server does around it. Every
// route the server answers is one row of the table below; NewRouter mounts
// the middleware its traits ask for (mount.go), and the served OpenAPI
// document describes exactly these rows (openapi.go).
type Route struct {
	Method string
	Path   string // gin syntax (":id"), under AUTH_API_PREFIX unless Mount says otherwise
	Handle func(*Handlers, *gin.Context) error

	Access  Access        // who may call it; checked before the handler runs
	Rate    rl.Class      // limits it counts against besides the global one
	Paced   bool          // its answer must not tell whether an account exists: held to even out timing
	Users   UserEffect    // whether it may change what GET /user shows (the profile cache)
	Session SessionAnswer // whether and how it hands out a session (writeSession)
	Captcha bool          // the captcha check (Turnstile) applies, when one is configured

	Mount     Mount // where it is served; UnderPrefix unless set
	Unlimited bool  // never rate limited: probes and scrapers

	// Errors shapes this route's error answers; nil: the contract's
	// ErrorResponse. Routes of other protocols (an OAuth2 token endpoint
	// answers RFC 6749's {error, error_description}) set their own.
	Errors func(e *apierr.Error) (status int, body any)
}

// Access says who may call a route.
type Access uint8

const (
	Public Access = iota
	// BearerOptional: the body decides: an access token is needed only for
	// some requests (POST /signout {all: true}, /token/verify without a token).
	BearerOptional
	// Bearer: a valid access token of a user whose sessions were not revoked.
	Bearer
	// ElevatedOptional: the body decides between a credential of its own (a
	// reset ticket) and an access token elevated as for Elevated.
	ElevatedOptional
	// Elevated: Bearer, and recently elevated when AUTH_REQUIRE_ELEVATED_CLAIM asks.
	Elevated
	// ElevatedToAddKey: Elevated as adding a security key asks: under
	// required, a user with no second factor yet adds a first key without
	// elevation, as in hasura-auth (account.CheckElevatedToAddKey).
	ElevatedToAddKey
	AdminSecret  // X-Hasura-Admin-Secret
	WebhookKey   // X-Webhook-Key (AUTH_WEBHOOK_KEY) or the admin secret
	MetricsToken // AUTH_METRICS_TOKEN as a Bearer token, when set
	// OAuth2Bearer: an access token the OpenID Connect provider issued to an
	// application (not a session's: Bearer refuses those tokens).
	OAuth2Bearer
)

// UserEffect says whether a route may change what GET /user shows, so that
// the profile cache is emptied after it.
type UserEffect uint8

const (
	// UsersByMethod: writes (POST, PUT, DELETE) may change users, reads do
	// not. A new write route is safe (it empties the cache) until marked.
	UsersByMethod UserEffect = iota
	// KeepsUsers: a write known to leave every existing user's GET /user as
	// it was (it creates users or sessions, or touches only last_seen). Such
	// routes run on every page load of an app and must not empty the cache.
	KeepsUsers
	// ChangesUsers: a read that writes (GET /verify follows an email link).
	ChangesUsers
)

// SessionAnswer says how a route hands out a session.
type SessionAnswer uint8

const (
	NoSession         SessionAnswer = iota
	SessionInBody                   // {"session": Session | null}
	SessionAsBody                   // the Session object itself (POST /token)
	SessionInRedirect               // 302 to the client with refreshToken in the query (email links)
)

// Mount says where a route is served.
type Mount uint8

const (
	UnderPrefix        Mount = iota // AUTH_API_PREFIX + Path
	AtRoot                          // Path whatever the prefix: where scrapers look (/metrics)
	UnderPrefixAndRoot              // both: orchestrators probe the bare path (/healthz)
)

// Routes returns the route table (a copy).
func Routes() []Route { return append([]Route(nil), routes...) }

// The route table. To add a route: a row here, its handler in a file named
// after its family, its operation in the OpenAPI document (nhost's, or
// api/openapi-ours.yaml for ours), and an example request in routes_test.go,
// which checks the row against what the route does.
var routes = []Route{
	// System (system.go, openapi.go).
	{Method: "GET", Path: "/healthz", Handle: (*Handlers).healthz, Mount: UnderPrefixAndRoot, Unlimited: true},
	{Method: "HEAD", Path: "/healthz", Handle: (*Handlers).healthz, Mount: UnderPrefixAndRoot, Unlimited: true},
	{Method: "GET", Path: "/version", Handle: (*Handlers).version},
	{Method: "GET", Path: "/.well-known/jwks.json", Handle: (*Handlers).jwks},
	{Method: "GET", Path: "/openapi.yaml", Handle: (*Handlers).openAPIYAML},
	{Method: "GET", Path: "/openapi.json", Handle: (*Handlers).openAPIJSON},
	{Method: "GET", Path: "/metrics", Handle: (*Handlers).serveMetrics, Access: MetricsToken, Mount: AtRoot, Unlimited: true},

	// Sign-up, sign-in, sessions (signup.go, signin.go, token.go, user.go).
	{Method: "POST", Path: "/signup/email-password", Handle: (*Handlers).signUpEmailPassword,
		Rate: rl.SignUp | rl.VerificationEmail, Users: KeepsUsers, Session: SessionInBody, Captcha: true},
	{Method: "POST", Path: "/signin/email-password", Handle: (*Handlers).signInEmailPassword,
		Rate: rl.BruteForce, Users: KeepsUsers, Session: SessionInBody},
	{Method: "POST", Path: "/signin/anonymous", Handle: (*Handlers).signInAnonymous,
		Rate: rl.BruteForce, Users: KeepsUsers, Session: SessionInBody},
	{Method: "POST", Path: "/token", Handle: (*Handlers).refreshToken, Users: KeepsUsers, Session: SessionAsBody},
	// A signature cannot be guessed, and backends call it often: global limit only.
	{Method: "POST", Path: "/token/verify", Handle: (*Handlers).verifyToken, Access: BearerOptional, Users: KeepsUsers},
	{Method: "POST", Path: "/signout", Handle: (*Handlers).signOut, Access: BearerOptional, Users: KeepsUsers},
	{Method: "GET", Path: "/user", Handle: (*Handlers).getUser, Access: Bearer},
	{Method: "POST", Path: "/user/deanonymize", Handle: (*Handlers).deanonymize, Access: Bearer, Rate: rl.VerificationEmail},

	// Email flows (email.go, password.go, passwordless.go).
	{Method: "POST", Path: "/user/email/send-verification-email", Handle: (*Handlers).sendVerificationEmail,
		Rate: rl.VerificationEmail, Paced: true},
	{Method: "POST", Path: "/user/email/change", Handle: (*Handlers).changeEmail, Access: Elevated, Rate: rl.Email},
	{Method: "POST", Path: "/user/password/reset", Handle: (*Handlers).sendPasswordResetEmail, Rate: rl.Email, Paced: true},
	{Method: "POST", Path: "/user/password", Handle: (*Handlers).changePassword, Access: ElevatedOptional},
	{Method: "POST", Path: "/signin/passwordless/email", Handle: (*Handlers).signInPasswordlessEmail,
		Rate: rl.Email | rl.BruteForce, Paced: true},
	{Method: "POST", Path: "/signin/otp/email", Handle: (*Handlers).signInOTPEmail,
		Rate: rl.Email | rl.BruteForce, Paced: true},
	{Method: "POST", Path: "/signin/otp/email/verify", Handle: (*Handlers).signInOTPEmailVerify,
		Rate: rl.BruteForce, Session: SessionInBody},
	{Method: "GET", Path: "/verify", Handle: (*Handlers).verifyTicket, Rate: rl.BruteForce, Users: ChangesUsers, Session: SessionInRedirect},

	// SMS (sms.go).
	{Method: "POST", Path: "/signin/passwordless/sms", Handle: (*Handlers).signInPasswordlessSMS,
		Rate: rl.SMS | rl.BruteForce, Paced: true},
	{Method: "POST", Path: "/signin/passwordless/sms/otp", Handle: (*Handlers).signInPasswordlessSMSOTP,
		Rate: rl.BruteForce, Session: SessionInBody},

	// Second factor and elevation (mfa.go).
	{Method: "GET", Path: "/mfa/totp/generate", Handle: (*Handlers).generateTOTP, Access: Bearer},
	{Method: "POST", Path: "/user/mfa", Handle: (*Handlers).changeUserMFA, Access: Bearer},
	{Method: "POST", Path: "/signin/mfa/totp", Handle: (*Handlers).signInMFATOTP,
		Rate: rl.BruteForce, Users: KeepsUsers, Session: SessionInBody},
	{Method: "POST", Path: "/elevate/password", Handle: (*Handlers).elevatePassword, Access: Bearer,
		Rate: rl.BruteForce, Users: KeepsUsers, Session: SessionInBody},
	{Method: "POST", Path: "/elevate/totp", Handle: (*Handlers).elevateTOTP, Access: Bearer,
		Rate: rl.BruteForce, Users: KeepsUsers, Session: SessionInBody},

	// Personal access tokens (pat.go).
	{Method: "POST", Path: "/pat", Handle: (*Handlers).createPAT, Access: Elevated},
	{Method: "GET", Path: "/pat", Handle: (*Handlers).listPATs, Access: Bearer},
	{Method: "DELETE", Path: "/pat/:id", Handle: (*Handlers).revokePAT, Access: Bearer},
	{Method: "POST", Path: "/signin/pat", Handle: (*Handlers).signInPAT,
		Rate: rl.BruteForce, Users: KeepsUsers, Session: SessionInBody},

	// Security keys and passkeys (webauthn.go); each answers 409
	// disabled-endpoint unless AUTH_WEBAUTHN_ENABLED.
	{Method: "POST", Path: "/signup/webauthn", Handle: withPasskeys((*Handlers).signUpWebAuthn),
		Rate: rl.SignUp, Users: KeepsUsers, Captcha: true},
	{Method: "POST", Path: "/signup/webauthn/verify", Handle: withPasskeys((*Handlers).signUpWebAuthnVerify),
		Rate: rl.SignUp | rl.VerificationEmail | rl.BruteForce, Users: KeepsUsers, Session: SessionInBody},
	{Method: "POST", Path: "/signin/webauthn", Handle: withPasskeys((*Handlers).signInWebAuthn),
		Rate: rl.BruteForce, Users: KeepsUsers},
	{Method: "POST", Path: "/signin/webauthn/verify", Handle: withPasskeys((*Handlers).signInWebAuthnVerify),
		Rate: rl.BruteForce, Users: KeepsUsers, Session: SessionInBody},
	{Method: "POST", Path: "/user/webauthn/add", Handle: withPasskeys((*Handlers).addSecurityKey), Access: ElevatedToAddKey, Users: KeepsUsers},
	{Method: "POST", Path: "/user/webauthn/verify", Handle: withPasskeys((*Handlers).addSecurityKeyVerify), Access: ElevatedToAddKey,
		Rate: rl.BruteForce, Users: KeepsUsers},
	{Method: "POST", Path: "/elevate/webauthn", Handle: withPasskeys((*Handlers).elevateWebAuthn), Access: Bearer,
		Rate: rl.BruteForce, Users: KeepsUsers},
	{Method: "POST", Path: "/elevate/webauthn/verify", Handle: withPasskeys((*Handlers).elevateWebAuthnVerify), Access: Bearer,
		Rate: rl.BruteForce, Users: KeepsUsers, Session: SessionInBody},
	{Method: "GET", Path: "/user/webauthn/keys", Handle: withPasskeys((*Handlers).listSecurityKeys), Access: Bearer},
	{Method: "PATCH", Path: "/user/webauthn/keys/:id", Handle: withPasskeys((*Handlers).renameSecurityKey), Access: Bearer, Users: KeepsUsers},
	{Method: "DELETE", Path: "/user/webauthn/keys/:id", Handle: withPasskeys((*Handlers).removeSecurityKey), Access: Elevated, Users: KeepsUsers},
	// Sign-in with providers (provider.go). The callbacks come back from the
	// provider in the browser; Apple posts its answer (form_post).
	{Method: "GET", Path: "/signin/provider/:provider", Handle: (*Handlers).signInProvider, Rate: rl.BruteForce},
	{Method: "GET", Path: "/signin/provider/:provider/callback", Handle: (*Handlers).signInProviderCallback,
		Rate: rl.BruteForce, Session: SessionInRedirect},
	{Method: "POST", Path: "/signin/provider/:provider/callback", Handle: (*Handlers).signInProviderCallback,
		Rate: rl.BruteForce, Users: KeepsUsers, Session: SessionInRedirect},
	{Method: "POST", Path: "/signin/idtoken", Handle: (*Handlers).signInIDToken,
		Rate: rl.BruteForce, Users: KeepsUsers, Session: SessionInBody},
	{Method: "POST", Path: "/link/idtoken", Handle: (*Handlers).linkIDToken, Access: Elevated, Users: KeepsUsers},
	// The provider's own tokens (provider_tokens.go): read once after the
	// callback, refreshed at the provider. The refresh calls out to the
	// provider: it is limited like a guess.
	{Method: "GET", Path: "/signin/provider/:provider/callback/tokens", Handle: (*Handlers).getProviderTokens, Access: Bearer,
		Rate: rl.BruteForce},
	{Method: "POST", Path: "/token/provider/:provider", Handle: (*Handlers).refreshProviderToken, Access: Bearer,
		Rate: rl.BruteForce, Users: KeepsUsers},

	// Operators (admin.go, admin_users.go).
	{Method: "GET", Path: "/admin/keys", Handle: (*Handlers).listKeys, Access: AdminSecret},
	{Method: "POST", Path: "/admin/keys/rotate", Handle: (*Handlers).rotateKeys, Access: AdminSecret},
	{Method: "POST", Path: "/sessions/purge-expired", Handle: (*Handlers).purgeExpired, Access: WebhookKey},
	{Method: "GET", Path: "/admin/users", Handle: (*Handlers).adminListUsers, Access: AdminSecret},
	{Method: "POST", Path: "/admin/users", Handle: (*Handlers).adminCreateUser, Access: AdminSecret},
	{Method: "GET", Path: "/admin/users/:id", Handle: (*Handlers).adminGetUser, Access: AdminSecret},
	{Method: "DELETE", Path: "/admin/users/:id", Handle: (*Handlers).adminDeleteUser, Access: AdminSecret},
	{Method: "POST", Path: "/admin/users/:id/disable", Handle: (*Handlers).adminDisableUser, Access: AdminSecret},
	{Method: "POST", Path: "/admin/users/:id/enable", Handle: (*Handlers).adminEnableUser, Access: AdminSecret},
	{Method: "PUT", Path: "/admin/users/:id/roles", Handle: (*Handlers).adminSetRoles, Access: AdminSecret},
	{Method: "POST", Path: "/admin/users/:id/signout", Handle: (*Handlers).adminSignOutAll, Access: AdminSecret},
	{Method: "GET", Path: "/admin/audit-log", Handle: (*Handlers).adminAuditLog, Access: AdminSecret},

	// The OpenID Connect provider (oauth2.go): errors as RFC 6749's, except
	// on the two routes the application's login UI calls.
	{Method: "GET", Path: "/.well-known/openid-configuration", Handle: (*Handlers).oauth2Discovery, Errors: oauth2Error},
	{Method: "GET", Path: "/.well-known/oauth-authorization-server", Handle: (*Handlers).oauth2Discovery, Errors: oauth2Error},
	{Method: "GET", Path: "/oauth2/jwks", Handle: (*Handlers).oauth2JWKS, Errors: oauth2Error},
	{Method: "GET", Path: "/oauth2/authorize", Handle: (*Handlers).oauth2Authorize, Rate: rl.BruteForce, Errors: oauth2Error},
	{Method: "POST", Path: "/oauth2/authorize", Handle: (*Handlers).oauth2Authorize, Rate: rl.BruteForce, Users: KeepsUsers, Errors: oauth2Error},
	{Method: "GET", Path: "/oauth2/login", Handle: (*Handlers).oauth2LoginGet, Rate: rl.BruteForce},
	{Method: "POST", Path: "/oauth2/login", Handle: (*Handlers).oauth2LoginPost, Access: Bearer, Rate: rl.BruteForce, Users: KeepsUsers},
	{Method: "POST", Path: "/oauth2/token", Handle: (*Handlers).oauth2Token, Rate: rl.OAuth2Server, Users: KeepsUsers, Errors: oauth2Error},
	{Method: "POST", Path: "/oauth2/introspect", Handle: (*Handlers).oauth2Introspect, Rate: rl.OAuth2Server, Users: KeepsUsers, Errors: oauth2Error},
	{Method: "POST", Path: "/oauth2/revoke", Handle: (*Handlers).oauth2Revoke, Rate: rl.OAuth2Server, Users: KeepsUsers, Errors: oauth2Error},
	{Method: "GET", Path: "/oauth2/userinfo", Handle: (*Handlers).oauth2UserInfo, Access: OAuth2Bearer, Errors: oauth2Error},
	{Method: "POST", Path: "/oauth2/userinfo", Handle: (*Handlers).oauth2UserInfo, Access: OAuth2Bearer, Users: KeepsUsers, Errors: oauth2Error},
}

// EmptiesProfiles reports whether the profile cache is emptied after r.
func (r Route) EmptiesProfiles() bool {
	switch r.Users {
	case KeepsUsers:
		return false
	case ChangesUsers:
		return true
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}
