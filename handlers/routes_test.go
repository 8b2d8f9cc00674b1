package handlers_test

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/handlers"
	"github.com/hasura-auth-go/auth/mail/mailtest"
	rl "github.com/hasura-auth-go/auth/ratelimit"
	"github.com/hasura-auth-go/auth/turnstile"
)

// The route table (handlers/routes.go) is the one declaration of a route.
// These tests walk it and the router it builds: every route the router
// answers is a row, every row is mounted where it says, its traits follow
// the rules below, and each row's example request, sent for real, behaves
// as the row declares (mail only with the email class, a session only in
// the declared form, credentials checked, the profile cache emptied when a
// user changed).

func routeKey(method, path string) string { return method + " " + path }

// mountedAt is where the router should serve rt under prefix.
func mountedAt(rt handlers.Route, prefix string) []string {
	switch rt.Mount {
	case handlers.AtRoot:
		return []string{rt.Path}
	case handlers.UnderPrefixAndRoot:
		if prefix != "" {
			return []string{prefix + rt.Path, rt.Path}
		}
	}
	return []string{prefix + rt.Path}
}

func TestRouteTableIsTheRouter(t *testing.T) {
	for _, prefix := range []string{"/v1", ""} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			e := newEnv(t, map[string]string{"AUTH_API_PREFIX": prefix})
			declared := map[string]bool{}
			for _, rt := range handlers.Routes() {
				for _, p := range mountedAt(rt, prefix) {
					k := routeKey(rt.Method, p)
					require.False(t, declared[k], "%s is declared twice", k)
					declared[k] = true
				}
			}
			served := map[string]bool{}
			for _, r := range e.srv.Router.Routes() {
				k := routeKey(r.Method, r.Path)
				served[k] = true
				require.True(t, declared[k], "the router serves %s, which no row of the route table declares", k)
			}
			for k := range declared {
				require.True(t, served[k], "the route table declares %s, which the router does not serve", k)
			}
		})
	}
}

// hasura-auth decides limits by path; our rows declare them. These are its
// rules, with the exceptions we chose, so that a new row cannot quietly
// miss a limit its path family has.
func TestRouteTraitsFollowTheRules(t *testing.T) {
	notBruteForce := map[string]string{
		"POST /token/verify": "a signature cannot be guessed, and backends call it often",
	}
	for _, rt := range handlers.Routes() {
		k := routeKey(rt.Method, rt.Path)
		guesses := strings.HasPrefix(rt.Path, "/signin") || strings.HasPrefix(rt.Path, "/elevate") ||
			strings.HasSuffix(rt.Path, "/verify") || strings.HasSuffix(rt.Path, "/otp")
		if _, excepted := notBruteForce[k]; guesses && !excepted {
			require.True(t, rt.Rate.Has(rl.BruteForce), "%s: a secret can be guessed here: Rate needs ratelimit.BruteForce", k)
		}
		// nhost's rules for its OpenID Connect provider: authorizing and
		// consenting can be guessed at, applications' servers have their class.
		if rt.Path == "/oauth2/authorize" || rt.Path == "/oauth2/login" {
			require.True(t, rt.Rate.Has(rl.BruteForce), "%s: Rate needs ratelimit.BruteForce, as nhost has it", k)
		}
		if rt.Path == "/oauth2/token" || rt.Path == "/oauth2/introspect" || rt.Path == "/oauth2/revoke" {
			require.True(t, rt.Rate.Has(rl.OAuth2Server), "%s: Rate needs ratelimit.OAuth2Server", k)
		}
		if (strings.HasPrefix(rt.Path, "/oauth2/") && rt.Path != "/oauth2/login") || strings.HasPrefix(rt.Path, "/.well-known/o") {
			require.NotNil(t, rt.Errors, "%s: an OAuth 2.0 route answers RFC 6749's errors (Errors: oauth2Error)", k)
		}
		if strings.HasPrefix(rt.Path, "/signup") {
			require.True(t, rt.Rate.Has(rl.SignUp), "%s creates accounts: Rate needs ratelimit.SignUp", k)
		}
		if strings.Contains(rt.Path, "/sms") && !strings.HasSuffix(rt.Path, "/otp") && !strings.HasSuffix(rt.Path, "/verify") {
			require.True(t, rt.Rate.Has(rl.SMS), "%s sends a text message: Rate needs ratelimit.SMS", k)
		}
		if rt.Paced {
			require.Equal(t, handlers.Public, rt.Access, "%s: pacing hides whether an account exists, from callers who hold nothing", k)
			require.True(t, rt.Rate&(rl.Email|rl.VerificationEmail|rl.SMS) != 0, "%s is paced: it sends something to an address, so it has a sending class", k)
		}
		// hasura-auth's clients send the Turnstile answer on sign-up only.
		require.Equal(t, turnstile.Protected(rt.Path), rt.Captcha, "%s: Captcha marks the routes hasura-auth guards with Turnstile", k)
		if rt.Captcha {
			require.Equal(t, handlers.Public, rt.Access, "%s: a captcha guards routes anyone may call", k)
		}
		read := rt.Method == "GET" || rt.Method == "HEAD"
		switch rt.Users {
		case handlers.KeepsUsers:
			require.False(t, read, "%s: reads keep users anyway; KeepsUsers marks writes", k)
		case handlers.ChangesUsers:
			require.True(t, read, "%s: writes change users anyway; ChangesUsers marks reads that write", k)
		}
		switch rt.Session {
		case handlers.NoSession:
		case handlers.SessionInRedirect:
			// A link, or a provider's form_post answer.
			require.True(t, rt.Method == "GET" || strings.HasSuffix(rt.Path, "/callback"), "%s: a session in a redirect follows a link", k)
		default:
			require.NotEqual(t, "GET", rt.Method, "%s", k)
		}
		if rt.Unlimited {
			require.True(t, read, "%s: only probes and scrapers go unlimited", k)
			require.Zero(t, rt.Rate, "%s: an unlimited route has no class", k)
		}
		require.NotNil(t, rt.Handle, "%s has no handler", k)
	}
}

// walker runs the route examples on a server with every flow on, mail
// going to a test SMTP server, texts to a fake Twilio, and the operators'
// secrets set.
type walker struct {
	t         *testing.T
	e         *env
	smtp      *mailtest.Server
	sms       *smsFake
	providers *walkProviders // provider_test.go
}

const (
	walkMetricsToken = "walk-metrics-token-0123456789"
	walkWebhookKey   = "walk-webhook-key-0123456789"
)

type walkUser struct {
	id, email, access, refresh string
}

// email is an address no other test uses (subtest names hold characters
// an address may not).
func (w *walker) email() string { return fmt.Sprintf("walk%d@example.com", emailSeq.Add(1)) }

// user is a new user with a password, signed in when verified.
func (w *walker) user(verified bool) walkUser {
	w.t.Helper()
	addr := w.email()
	r := w.e.do("POST", "/v1/admin/users", map[string]any{"email": addr, "password": password, "emailVerified": verified}, opsAdmin)
	require.Equal(w.t, 200, r.Status, "%s", r.Body)
	var u struct{ ID string }
	r.decode(w.t, &u)
	if !verified {
		return walkUser{id: u.ID, email: addr}
	}
	s := w.e.signIn(addr)
	return walkUser{id: u.ID, email: addr, access: s.AccessToken, refresh: s.RefreshToken}
}

// lastMail waits for the mail flows in flight and returns addr's last mail.
func (w *walker) lastMail(addr string) *mailtest.Message {
	w.t.Helper()
	w.e.srv.Mailer.Close()
	got := w.smtp.To(addr)
	require.NotEmpty(w.t, got, "no mail to %s", addr)
	return got[len(got)-1]
}

// call is one example request; subject is the user whose GET /user it
// may change ("" when none existed before it).
type call struct {
	method, path string
	body         any
	headers      []header
	subject      string
}

var walkAdmin = []header{opsAdmin}

// userCall is the example of a route a new verified user calls at path
// with body(u) (nil: none), with their access token when auth.
func userCall(path string, auth bool, body func(w *walker, u walkUser) any) func(*walker) call {
	return func(w *walker) call {
		u := w.user(true)
		c := call{path: path, subject: u.id}
		if body != nil {
			c.body = body(w, u)
		}
		if auth {
			c.headers = []header{bearer(u.access)}
		}
		return c
	}
}

// keyHolderCall is the example of a route a new user holding a security
// key calls at path with body and their access token.
func keyHolderCall(body any, path func(w *walker, u walkUser) string) func(*walker) call {
	return func(w *walker) call {
		u, _ := w.userWithKey()
		return call{path: path(w, u), body: body, headers: []header{bearer(u.access)}, subject: u.id}
	}
}

func firstKeyPath(w *walker, u walkUser) string {
	return "/v1/user/webauthn/keys/" + w.e.securityKeys(u.access)[0].ID
}

// routeExamples: a request to every route that succeeds, keyed like the
// route table ("METHOD /path"). A new row needs one here.
var routeExamples = map[string]func(w *walker) call{
	"GET /healthz":               func(*walker) call { return call{path: "/v1/healthz"} },
	"HEAD /healthz":              func(*walker) call { return call{path: "/v1/healthz"} },
	"GET /version":               func(*walker) call { return call{path: "/v1/version"} },
	"GET /.well-known/jwks.json": func(*walker) call { return call{path: "/v1/.well-known/jwks.json"} },
	"GET /openapi.yaml":          func(*walker) call { return call{path: "/v1/openapi.yaml"} },
	"GET /openapi.json":          func(*walker) call { return call{path: "/v1/openapi.json"} },
	"GET /metrics": func(*walker) call {
		return call{path: "/metrics", headers: []header{bearer(walkMetricsToken)}}
	},

	"POST /signup/email-password": func(w *walker) call {
		return call{path: "/v1/signup/email-password", body: map[string]any{"email": w.email(), "password": password}}
	},
	"POST /signin/email-password": userCall("/v1/signin/email-password", false, func(_ *walker, u walkUser) any {
		return map[string]any{"email": u.email, "password": password}
	}),
	"POST /signin/anonymous": func(*walker) call { return call{path: "/v1/signin/anonymous"} },
	"POST /token": userCall("/v1/token", false, func(_ *walker, u walkUser) any {
		return map[string]any{"refreshToken": u.refresh}
	}),
	"POST /token/verify": userCall("/v1/token/verify", false, func(_ *walker, u walkUser) any {
		return map[string]any{"token": u.access}
	}),
	"POST /signout": userCall("/v1/signout", false, func(_ *walker, u walkUser) any {
		return map[string]any{"refreshToken": u.refresh}
	}),
	"GET /user": userCall("/v1/user", true, nil),
	"POST /user/deanonymize": func(w *walker) call {
		a := w.e.anonymous()
		return call{path: "/v1/user/deanonymize", headers: []header{bearer(a.AccessToken)}, subject: a.User.ID,
			body: map[string]any{"signInMethod": "email-password", "email": w.email(), "password": password}}
	},

	"POST /user/email/send-verification-email": func(w *walker) call {
		u := w.user(false)
		return call{path: "/v1/user/email/send-verification-email", body: map[string]any{"email": u.email}, subject: u.id}
	},
	"POST /user/email/change": userCall("/v1/user/email/change", true, func(w *walker, _ walkUser) any {
		return map[string]any{"newEmail": w.email()}
	}),
	"POST /user/password/reset": userCall("/v1/user/password/reset", false, func(_ *walker, u walkUser) any {
		return map[string]any{"email": u.email}
	}),
	"POST /user/password": userCall("/v1/user/password", true, func(_ *walker, _ walkUser) any {
		return map[string]any{"newPassword": "another good password"}
	}),
	"POST /signin/passwordless/email": userCall("/v1/signin/passwordless/email", false, func(_ *walker, u walkUser) any {
		return map[string]any{"email": u.email}
	}),
	"POST /signin/otp/email": userCall("/v1/signin/otp/email", false, func(_ *walker, u walkUser) any {
		return map[string]any{"email": u.email}
	}),
	"POST /signin/otp/email/verify": func(w *walker) call {
		u := w.user(true)
		require.Equal(w.t, 200, w.e.otpRequest(u.email).Status)
		code := w.lastMail(u.email).Header.Get("X-Ticket")
		return call{path: "/v1/signin/otp/email/verify", body: map[string]any{"email": u.email, "otp": code}, subject: u.id}
	},
	"POST /signin/passwordless/sms": func(*walker) call {
		return call{path: "/v1/signin/passwordless/sms", body: map[string]any{"phoneNumber": phoneNumber()}}
	},
	"POST /signin/passwordless/sms/otp": func(w *walker) call {
		number := phoneNumber()
		code := w.e.smsCode(w.sms, number, nil)
		return call{path: "/v1/signin/passwordless/sms/otp", body: map[string]any{"phoneNumber": number, "otp": code},
			subject: w.e.userByPhone(number).ID.String()}
	},
	"GET /verify": func(w *walker) call {
		u := w.user(true)
		require.Equal(w.t, 200, w.e.magicLink(u.email, nil).Status)
		return call{path: strings.TrimPrefix(w.lastMail(u.email).Link(), authURL), subject: u.id}
	},

	"GET /mfa/totp/generate": userCall("/v1/mfa/totp/generate", true, nil),
	"POST /user/mfa": func(w *walker) call {
		u := w.user(true)
		secret := w.e.generateTOTP(u.access)
		return call{path: "/v1/user/mfa", body: map[string]any{"code": w.e.code(secret), "activeMfaType": "totp"},
			headers: []header{bearer(u.access)}, subject: u.id}
	},
	"POST /signin/mfa/totp": func(w *walker) call {
		u := w.user(true)
		secret := w.e.enableTOTP(u.access)
		ticket := w.e.mfaTicket(u.email)
		return call{path: "/v1/signin/mfa/totp", body: map[string]any{"ticket": ticket, "otp": w.e.code(secret)}, subject: u.id}
	},
	"POST /elevate/password": userCall("/v1/elevate/password", true, func(_ *walker, _ walkUser) any {
		return map[string]any{"password": password}
	}),
	"POST /elevate/totp": func(w *walker) call {
		u := w.user(true)
		secret := w.e.enableTOTP(u.access)
		return call{path: "/v1/elevate/totp", body: map[string]any{"otp": w.e.code(secret)}, headers: []header{bearer(u.access)}, subject: u.id}
	},

	"POST /pat": userCall("/v1/pat", true, func(w *walker, _ walkUser) any {
		return map[string]any{"expiresAt": w.e.clock.Now().Add(time.Hour).Format(time.RFC3339)}
	}),
	"GET /pat": userCall("/v1/pat", true, nil),
	"DELETE /pat/:id": func(w *walker) call {
		u := w.user(true)
		p := w.e.mustCreatePAT(u.access, w.e.clock.Now().Add(time.Hour), nil)
		return call{path: "/v1/pat/" + p.ID, headers: []header{bearer(u.access)}, subject: u.id}
	},
	"POST /signin/pat": func(w *walker) call {
		u := w.user(true)
		p := w.e.mustCreatePAT(u.access, w.e.clock.Now().Add(time.Hour), nil)
		return call{path: "/v1/signin/pat", body: map[string]any{"personalAccessToken": p.PersonalAccessToken}, subject: u.id}
	},

	"POST /signup/webauthn": func(w *walker) call {
		return call{path: "/v1/signup/webauthn", body: map[string]any{"email": w.email()}}
	},
	"POST /signup/webauthn/verify": func(w *walker) call {
		opts := w.e.webauthnOptions("/v1/signup/webauthn", map[string]any{"email": w.email()})
		return call{path: "/v1/signup/webauthn/verify", body: map[string]any{"credential": create(w.t, newKey(), opts)}}
	},
	"POST /signin/webauthn": func(w *walker) call {
		u, _ := w.userWithKey()
		return call{path: "/v1/signin/webauthn", body: map[string]any{"email": u.email}, subject: u.id}
	},
	"POST /signin/webauthn/verify": func(w *walker) call {
		u, k := w.userWithKey()
		opts := w.e.webauthnOptions("/v1/signin/webauthn", map[string]any{"email": u.email})
		return call{path: "/v1/signin/webauthn/verify", body: map[string]any{"credential": get(w.t, k, opts)}, subject: u.id}
	},
	"POST /user/webauthn/add": userCall("/v1/user/webauthn/add", true, nil),
	"POST /user/webauthn/verify": func(w *walker) call {
		u := w.user(true)
		opts := w.e.webauthnOptions("/v1/user/webauthn/add", nil, bearer(u.access))
		return call{path: "/v1/user/webauthn/verify", body: map[string]any{"credential": create(w.t, newKey(), opts), "nickname": "YubiKey"},
			headers: []header{bearer(u.access)}, subject: u.id}
	},
	"POST /elevate/webauthn": keyHolderCall(nil, func(*walker, walkUser) string { return "/v1/elevate/webauthn" }),
	"POST /elevate/webauthn/verify": func(w *walker) call {
		u, k := w.userWithKey()
		opts := w.e.webauthnOptions("/v1/elevate/webauthn", nil, bearer(u.access))
		return call{path: "/v1/elevate/webauthn/verify", body: map[string]any{"credential": get(w.t, k, opts)},
			headers: []header{bearer(u.access)}, subject: u.id}
	},
	"GET /user/webauthn/keys":        keyHolderCall(nil, func(*walker, walkUser) string { return "/v1/user/webauthn/keys" }),
	"PATCH /user/webauthn/keys/:id":  keyHolderCall(map[string]any{"nickname": "Laptop"}, firstKeyPath),
	"DELETE /user/webauthn/keys/:id": keyHolderCall(nil, firstKeyPath),

	"GET /admin/keys":         func(*walker) call { return call{path: "/v1/admin/keys", headers: walkAdmin} },
	"POST /admin/keys/rotate": func(*walker) call { return call{path: "/v1/admin/keys/rotate", headers: walkAdmin} },
	"POST /sessions/purge-expired": func(*walker) call {
		return call{path: "/v1/sessions/purge-expired", headers: []header{{"X-Webhook-Key", walkWebhookKey}}}
	},
	"GET /admin/users": func(*walker) call { return call{path: "/v1/admin/users", headers: walkAdmin} },
	"POST /admin/users": func(w *walker) call {
		return call{path: "/v1/admin/users", body: map[string]any{"email": w.email(), "password": password}, headers: walkAdmin}
	},
	"GET /admin/users/:id": func(w *walker) call {
		u := w.user(true)
		return call{path: "/v1/admin/users/" + u.id, headers: walkAdmin, subject: u.id}
	},
	"DELETE /admin/users/:id": func(w *walker) call {
		u := w.user(true)
		return call{path: "/v1/admin/users/" + u.id, headers: walkAdmin, subject: u.id}
	},
	"POST /admin/users/:id/disable": func(w *walker) call {
		u := w.user(true)
		return call{path: "/v1/admin/users/" + u.id + "/disable", headers: walkAdmin, subject: u.id}
	},
	"POST /admin/users/:id/enable": func(w *walker) call {
		u := w.user(true)
		return call{path: "/v1/admin/users/" + u.id + "/enable", headers: walkAdmin, subject: u.id}
	},
	"PUT /admin/users/:id/roles": func(w *walker) call {
		u := w.user(true)
		return call{path: "/v1/admin/users/" + u.id + "/roles", body: map[string]any{"defaultRole": "me", "roles": []string{"me", "user"}},
			headers: walkAdmin, subject: u.id}
	},
	"POST /admin/users/:id/signout": func(w *walker) call {
		u := w.user(true)
		return call{path: "/v1/admin/users/" + u.id + "/signout", headers: walkAdmin, subject: u.id}
	},
	"GET /admin/audit-log": func(*walker) call { return call{path: "/v1/admin/audit-log", headers: walkAdmin} },

	"GET /.well-known/openid-configuration":       func(*walker) call { return call{path: "/v1/.well-known/openid-configuration"} },
	"GET /.well-known/oauth-authorization-server": func(*walker) call { return call{path: "/v1/.well-known/oauth-authorization-server"} },
	"GET /oauth2/jwks":                            func(*walker) call { return call{path: "/v1/oauth2/jwks"} },
	"GET /oauth2/authorize": func(w *walker) call {
		p := newAuthz(w.e.registerClient(true, ""), "openid")
		return call{path: "/v1/oauth2/authorize?" + p.values.Encode()}
	},
	"POST /oauth2/authorize": func(w *walker) call {
		p := newAuthz(w.e.registerClient(true, ""), "openid")
		return call{path: "/v1/oauth2/authorize", body: p.values.Encode(), headers: []header{formType}}
	},
	"GET /oauth2/login": func(w *walker) call {
		id := w.e.authorize(newAuthz(w.e.registerClient(true, ""), "openid"))
		return call{path: "/v1/oauth2/login?request_id=" + id}
	},
	"POST /oauth2/login": func(w *walker) call {
		u := w.user(true)
		id := w.e.authorize(newAuthz(w.e.registerClient(true, ""), "openid profile"))
		return call{path: "/v1/oauth2/login", body: map[string]any{"requestId": id}, headers: []header{bearer(u.access)}, subject: u.id}
	},
	"POST /oauth2/token": func(w *walker) call {
		c, u := w.e.registerClient(false, ""), w.user(true)
		p := newAuthz(c, "openid")
		code := w.e.consent(w.e.authorize(p), u.access).Query().Get("code")
		v := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirect}, "code_verifier": {p.verifier}}
		return call{path: "/v1/oauth2/token", body: v.Encode(), subject: u.id,
			headers: []header{formType, {"Authorization", basicAuth(c)}}}
	},
	"POST /oauth2/introspect": func(w *walker) call {
		c, tok, u := w.oauthTokens()
		return call{path: "/v1/oauth2/introspect", body: url.Values{"token": {tok.AccessToken}}.Encode(), subject: u.id,
			headers: []header{formType, {"Authorization", basicAuth(c)}}}
	},
	"POST /oauth2/revoke": func(w *walker) call {
		c, tok, u := w.oauthTokens()
		return call{path: "/v1/oauth2/revoke", body: url.Values{"token": {tok.RefreshToken}}.Encode(), subject: u.id,
			headers: []header{formType, {"Authorization", basicAuth(c)}}}
	},
	"GET /oauth2/userinfo": func(w *walker) call {
		_, tok, u := w.oauthTokens()
		return call{path: "/v1/oauth2/userinfo", headers: []header{bearer(tok.AccessToken)}, subject: u.id}
	},
	"POST /oauth2/userinfo": func(w *walker) call {
		_, tok, u := w.oauthTokens()
		return call{path: "/v1/oauth2/userinfo", headers: []header{bearer(tok.AccessToken)}, subject: u.id}
	},
}

var formType = header{"Content-Type", "application/x-www-form-urlencoded"}

// basicAuth is client_secret_basic for c (RFC 6749 2.3.1: each part form-encoded).
func basicAuth(c oauthClient) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.id)+":"+url.QueryEscape(c.secret)))
}

// oauthTokens: a confidential client's tokens for a new user.
func (w *walker) oauthTokens() (oauthClient, tokenBody, walkUser) {
	w.t.Helper()
	c, u := w.e.registerClient(false, ""), w.user(true)
	p := newAuthz(c, "openid profile email")
	code := w.e.consent(w.e.authorize(p), u.access).Query().Get("code")
	return c, w.e.mustExchange(c, code, p.verifier), u
}

func TestRoutesBehaveAsDeclared(t *testing.T) {
	smtp := mailtest.Start(t)
	w := &walker{t: t, smtp: smtp, sms: twilioMessages(t), providers: startWalkProviders(t)}
	w.e = newEnv(t, merge(w.sms.vars, w.providers.env(), map[string]string{
		"AUTH_SMS_PASSWORDLESS_ENABLED":             "true",
		"HASURA_GRAPHQL_DATABASE_URL":               ownDB(t), // key rotation must not reach other tests' servers
		"AUTH_SMTP_HOST":                            smtp.Host,
		"AUTH_SMTP_PORT":                            smtp.PortString(),
		"AUTH_SMTP_SENDER":                          "auth@example.com",
		"AUTH_SERVER_URL":                           authURL + "/v1",
		"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true", // sign-up and deanonymize mail a link
		"AUTH_MFA_ENABLED":                          "true",
		"AUTH_EMAIL_PASSWORDLESS_ENABLED":           "true",
		"AUTH_OTP_EMAIL_ENABLED":                    "true",
		"HASURA_GRAPHQL_ADMIN_SECRET":               opsAdminSecret,
		"AUTH_WEBHOOK_KEY":                          walkWebhookKey,
		"AUTH_METRICS_TOKEN":                        walkMetricsToken,
		"AUTH_WEBAUTHN_ENABLED":                     "true",
		"AUTH_OAUTH2_PROVIDER_ENABLED":              "true",
		"AUTH_ENCRYPTION_KEY":                       testEncryptionKey, // provider tokens are kept only with a key
	}))
	w.providers.setClock(w.e.clock.Now)
	for _, rt := range handlers.Routes() {
		k := routeKey(rt.Method, rt.Path)
		example, ok := routeExamples[k]
		require.True(t, ok, "%s has no example request in routeExamples (routes_test.go): add one that succeeds", k)
		t.Run(k, func(t *testing.T) {
			w.t, w.e.t = t, t
			c := example(w)
			c.method = rt.Method

			w.checkAccess(rt, c)

			before := w.profile(c.subject)
			w.e.srv.Mailer.Close() // the setup's mails are out
			sent, texts := len(smtp.Messages()), w.sms.sent()
			r := w.e.do(c.method, c.path, c.body, c.headers...)
			w.e.srv.Mailer.Close()
			require.Less(t, r.Status, 400, "the example must succeed: %s", r.Body)

			if len(smtp.Messages()) > sent {
				require.True(t, rt.Rate&(rl.Email|rl.VerificationEmail) != 0,
					"%s sent mail: its Rate needs ratelimit.Email (or VerificationEmail for verification links)", k)
			}
			if w.sms.sent() > texts {
				require.True(t, rt.Rate.Has(rl.SMS), "%s sent a text message: its Rate needs ratelimit.SMS", k)
			}
			require.Equal(t, rt.Session, sessionForm(t, r), "%s: the session it answers is not in the form its row declares", k)
			if c.subject != "" && w.profile(c.subject) != before {
				require.True(t, rt.EmptiesProfiles(), "%s changed what GET /user shows, but its row keeps the profile cache", k)
			}
		})
	}
	for k := range routeExamples {
		found := slices.ContainsFunc(handlers.Routes(), func(rt handlers.Route) bool { return routeKey(rt.Method, rt.Path) == k })
		require.True(t, found, "routeExamples names %s, which the route table does not have", k)
	}
}

// checkAccess sends c without its credentials: routes that need some
// refuse it with 401 before doing anything.
func (w *walker) checkAccess(rt handlers.Route, c call) {
	w.t.Helper()
	var strip []string
	switch rt.Access {
	case handlers.Bearer, handlers.Elevated, handlers.ElevatedToAddKey, handlers.MetricsToken, handlers.OAuth2Bearer:
		strip = []string{"Authorization"}
	case handlers.AdminSecret:
		strip = []string{"X-Hasura-Admin-Secret"}
	case handlers.WebhookKey:
		strip = []string{"X-Webhook-Key", "X-Hasura-Admin-Secret"}
	default:
		for _, h := range c.headers {
			require.NotContains(w.t, []string{"X-Hasura-Admin-Secret", "X-Webhook-Key"}, h.k, "a %d route's example holds an operator's secret", rt.Access)
		}
		return
	}
	var kept []header
	for _, h := range c.headers {
		if !slices.Contains(strip, h.k) {
			kept = append(kept, h)
		}
	}
	require.Less(w.t, len(kept), len(c.headers), "the example of a route with access %d must send its credential", rt.Access)
	r := w.e.do(c.method, c.path, c.body, kept...)
	require.Equal(w.t, 401, r.Status, "without credentials: %s", r.Body)
	if rt.Errors != nil { // RFC 6750's answer
		var body struct{ Error string }
		r.decode(w.t, &body)
		require.Equal(w.t, "invalid_token", body.Error)
		return
	}
	require.Equal(w.t, "unauthorized", r.errorCode(w.t))
}

// profile is what GET /user shows of the user id, read from the database.
func (w *walker) profile(id string) string {
	w.t.Helper()
	if id == "" {
		return ""
	}
	var p sql.NullString
	err := w.e.db().Raw(`SELECT concat_ws('|', display_name, avatar_url, locale, email, email_verified, phone_number,
  phone_number_verified, default_role, is_anonymous, active_mfa_type, metadata::text,
  (SELECT string_agg(role, ',' ORDER BY role) FROM auth.user_roles WHERE user_id = u.id))
FROM auth.users u WHERE id = ?`, id).Row().Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "gone"
	}
	require.NoError(w.t, err)
	return p.String
}

// sessionForm says how an answer hands out a session.
func sessionForm(t *testing.T, r *response) handlers.SessionAnswer {
	t.Helper()
	if r.Status == 302 {
		loc, err := url.Parse(r.Header.Get("Location"))
		require.NoError(t, err)
		if loc.Query().Get("refreshToken") != "" {
			return handlers.SessionInRedirect
		}
		return handlers.NoSession
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(r.Body, &body) != nil {
		return handlers.NoSession
	}
	if _, ok := body["session"]; ok {
		return handlers.SessionInBody
	}
	// A Session; a provider's session (ProviderSession) has a refreshToken
	// too, but is not ours.
	if _, ok := body["refreshTokenId"]; ok {
		return handlers.SessionAsBody
	}
	return handlers.NoSession
}

// The served document describes exactly the routes the router serves, with
// the security each route's Access asks for.
func TestOpenAPIDescribesTheRoutesServed(t *testing.T) {
	for _, prefix := range []string{"/v1", ""} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			e := newEnv(t, map[string]string{"AUTH_API_PREFIX": prefix, "AUTH_SERVER_URL": "https://auth.example.com"})
			r := e.do("GET", prefix+"/openapi.json", nil)
			require.Equal(t, 200, r.Status)
			require.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
			var doc openAPIDoc
			r.decode(t, &doc)

			documented := map[string]openAPIOp{}
			for path, item := range doc.Paths {
				for method, op := range item {
					servers := op.Servers
					if servers == nil {
						servers = doc.Servers
					}
					require.NotEmpty(t, servers, "%s %s", method, path)
					for _, s := range servers {
						base, ok := strings.CutPrefix(s.URL, "https://auth.example.com")
						require.True(t, ok, "server %q", s.URL)
						documented[routeKey(strings.ToUpper(method), base+path)] = op
					}
				}
			}
			served := map[string]bool{}
			for _, rr := range e.srv.Router.Routes() {
				k := routeKey(rr.Method, handlers.OpenAPIPath(rr.Path))
				served[k] = true
				_, ok := documented[k]
				require.True(t, ok, "the router serves %s, which the OpenAPI document does not describe", k)
			}
			for k := range documented {
				require.True(t, served[k], "the OpenAPI document describes %s, which the router does not serve", k)
			}

			for _, rt := range handlers.Routes() {
				k := routeKey(rt.Method, mountedAt(rt, prefix)[0])
				op := documented[routeKey(rt.Method, handlers.OpenAPIPath(mountedAt(rt, prefix)[0]))]
				require.Equal(t, securityOf(rt.Access), op.securityKey(), "%s: the document's security disagrees with the row's Access", k)
				if form := doc.sessionForm(op); !(form == handlers.SessionInRedirect && rt.Session == handlers.NoSession) {
					require.Equal(t, rt.Session, form, "%s: the document's answer disagrees with the row's Session", k)
				} // else a 302 whose Location holds no session (a login page): the walker checks what it holds

			}

			y := e.do("GET", prefix+"/openapi.yaml", nil)
			require.Equal(t, 200, y.Status)
			require.Equal(t, "application/yaml; charset=utf-8", y.Header.Get("Content-Type"))
			require.Contains(t, string(y.Body), "openapi: \"3.0.0\"")
		})
	}
}

type openAPIDoc struct {
	Servers    []struct{ URL string }
	Paths      map[string]map[string]openAPIOp
	Components struct {
		Schemas map[string]openAPISchema
	}
}

type openAPIOp struct {
	OperationID string `json:"operationId"`
	Servers     []struct{ URL string }
	Security    []map[string][]string
	Responses   map[string]struct {
		Content map[string]struct{ Schema openAPISchema }
	}
}

type openAPISchema struct {
	Ref        string `json:"$ref"`
	Properties map[string]json.RawMessage
}

// sessionForm is how the document says op hands out a session.
func (d *openAPIDoc) sessionForm(op openAPIOp) handlers.SessionAnswer {
	// GET /signin/provider/{provider} redirects to the provider, not with a session.
	if _, ok := op.Responses["302"]; ok && op.OperationID != "signInProvider" {
		return handlers.SessionInRedirect
	}
	s := op.Responses["200"].Content["application/json"].Schema
	name, _ := strings.CutPrefix(s.Ref, "#/components/schemas/")
	if name != "" {
		s = d.Components.Schemas[name]
	}
	switch {
	case name == "Session":
		return handlers.SessionAsBody
	case s.Properties["session"] != nil:
		return handlers.SessionInBody
	}
	return handlers.NoSession
}

// securityKey writes an operation's security requirements as "A|B+C|"
// (alternatives separated by |, an empty one meaning "none needed").
func (o openAPIOp) securityKey() string {
	var alts []string
	for _, req := range o.Security {
		var names []string
		for n := range req {
			names = append(names, n)
		}
		slices.Sort(names)
		alts = append(alts, strings.Join(names, "+"))
	}
	return strings.Join(alts, "|")
}

func securityOf(a handlers.Access) string {
	switch a {
	case handlers.Public:
		return ""
	case handlers.BearerOptional:
		return "BearerAuth|"
	case handlers.Bearer:
		return "BearerAuth"
	case handlers.ElevatedOptional:
		return "BearerAuthElevated|"
	case handlers.Elevated, handlers.ElevatedToAddKey:
		return "BearerAuthElevated"
	case handlers.AdminSecret:
		return "AdminSecret"
	case handlers.WebhookKey:
		return "WebhookKey|AdminSecret"
	case handlers.MetricsToken:
		return "MetricsToken|"
	case handlers.OAuth2Bearer:
		return "OAuth2AccessToken"
	}
	return fmt.Sprintf("unknown access %d", a)
}
