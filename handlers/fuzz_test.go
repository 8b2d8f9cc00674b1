package handlers_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/mail/mailtest"
)

// Fuzzing of every JSON request body, through the real router and
// database: whatever arrives, the answer is never a 5xx and always JSON in
// the contract's shapes. Three targets, by what a caller must hold:
// nothing (FuzzRequestBodies), a user's access token (FuzzBearerBodies), the
// admin secret (FuzzAdminBodies). TestFuzzCoversEveryJSONRoute fails when a
// route that takes a body is in none of them. Seed corpora are committed in
// testdata/fuzz/<target>/; .ci/run runs each target for a fixed time.

type fuzzRoute struct {
	method, route string // as the router lists it
	path          string // what the fuzzer sends to ("{id}" is filled in)
}

var publicFuzzRoutes = []fuzzRoute{
	{"POST", "/v1/signup/email-password", ""},
	{"POST", "/v1/signin/email-password", ""},
	{"POST", "/v1/signin/anonymous", ""},
	{"POST", "/v1/token", ""},
	{"POST", "/v1/token/verify", ""},
	{"POST", "/v1/signout", ""},
	{"POST", "/v1/user/deanonymize", ""},
	{"POST", "/v1/signin/mfa/totp", ""},
	{"POST", "/v1/signin/pat", ""},
	{"POST", "/v1/user/email/send-verification-email", ""},
	{"POST", "/v1/user/password/reset", ""},
	{"POST", "/v1/user/password", ""},
	{"POST", "/v1/signin/passwordless/email", ""},
	{"POST", "/v1/signin/otp/email", ""},
	{"POST", "/v1/signin/otp/email/verify", ""},
	{"POST", "/v1/signin/passwordless/sms", ""},
	{"POST", "/v1/signin/passwordless/sms/otp", ""},
	{"POST", "/v1/signup/webauthn", ""},
	{"POST", "/v1/signup/webauthn/verify", ""},
	{"POST", "/v1/signin/webauthn", ""},
	{"POST", "/v1/signin/webauthn/verify", ""},
	{"POST", "/v1/signin/idtoken", ""},
}

var bearerFuzzRoutes = []fuzzRoute{
	{"POST", "/v1/user/mfa", ""},
	{"POST", "/v1/elevate/password", ""},
	{"POST", "/v1/elevate/totp", ""},
	{"POST", "/v1/pat", ""},
	{"POST", "/v1/signout", ""},
	{"POST", "/v1/token/verify", ""},
	{"POST", "/v1/user/deanonymize", ""}, // with an anonymous user's token
	{"POST", "/v1/user/email/change", ""},
	{"POST", "/v1/user/password", ""},
	{"POST", "/v1/user/webauthn/verify", ""},
	{"POST", "/v1/elevate/webauthn/verify", ""},
	{"PATCH", "/v1/user/webauthn/keys/:id", "/v1/user/webauthn/keys/{id}"},
	{"POST", "/v1/link/idtoken", ""},
	{"POST", "/v1/oauth2/login", ""},
	{"POST", "/v1/token/provider/:provider", "/v1/token/provider/github"},
}

var adminFuzzRoutes = []fuzzRoute{
	{"POST", "/v1/admin/users", ""},
	{"PUT", "/v1/admin/users/:id/roles", "/v1/admin/users/{id}/roles"},
	{"POST", "/v1/admin/keys/rotate", ""},
}

// bodylessRoutes take no JSON body: nothing to fuzz here.
var bodylessRoutes = []string{
	"POST /v1/signin/provider/:provider/callback", // a form: FuzzProviderCallback
	"POST /v1/sessions/purge-expired",
	"POST /v1/admin/users/:id/disable",
	"POST /v1/admin/users/:id/enable",
	"POST /v1/admin/users/:id/signout",
	"POST /v1/user/webauthn/add",
	"POST /v1/elevate/webauthn",
	"POST /v1/oauth2/userinfo",
}

// genericSeeds go to every route in turn; routeSeeds to the route they fit.
var genericSeeds = []string{
	``, `{}`, `null`, `[]`, `"x"`, `{"a":1}{"b":2}`, `{"email":1e400}`, `{"email":"\u0000@x.y","password":"\ud800"}`,
}

var routeSeeds = map[string][]string{
	"/v1/signup/email-password": {
		`{"email":"a@example.com","password":"correct horse battery"}`,
		`{"email":"a@example.com","password":"correct horse battery","options":{"allowedRoles":["me"],"defaultRole":"me","locale":"fr","metadata":{"a":[1,{"b":null}]},"redirectTo":"https://app.example.com/x"}}`,
	},
	"/v1/signin/email-password":              {`{"email":"a@example.com","password":"correct horse battery"}`},
	"/v1/signin/anonymous":                   {`{"displayName":"Anon","locale":"fr","metadata":{"k":"v"}}`},
	"/v1/token":                              {`{"refreshToken":"2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24"}`},
	"/v1/token/verify":                       {`{"token":"eyJhbGciOiJub25lIn0.e30."}`},
	"/v1/signout":                            {`{"refreshToken":"2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24"}`, `{"all":true}`},
	"/v1/user/deanonymize":                   {`{"signInMethod":"email-password","email":"b@example.com","password":"correct horse battery"}`},
	"/v1/signin/mfa/totp":                    {`{"ticket":"mfaTotp:2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24","otp":"123456"}`, `{"ticket":"mfaTotp:","otp":"\u0000"}`},
	"/v1/signin/pat":                         {`{"personalAccessToken":"2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24"}`},
	"/v1/user/email/send-verification-email": {`{"email":"a@example.com","options":{"redirectTo":"https://app.example.com/welcome"}}`},
	"/v1/user/password/reset":                {`{"email":"a@example.com"}`},
	"/v1/user/password":                      {`{"newPassword":"correct horse battery 2"}`, `{"newPassword":"x","ticket":"passwordReset:2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24"}`},
	"/v1/signin/passwordless/email":          {`{"email":"a@example.com","options":{"redirectTo":"https://app.example.com"}}`},
	"/v1/signin/otp/email":                   {`{"email":"a@example.com"}`},
	"/v1/signin/otp/email/verify":            {`{"email":"a@example.com","otp":"123456"}`},
	"/v1/signin/passwordless/sms":            {`{"phoneNumber":"+64 21 123 4567","options":{"locale":"fr","displayName":"Kiri"}}`, `{"phoneNumber":"+1 (415) 555-0100"}`},
	"/v1/signin/passwordless/sms/otp":        {`{"phoneNumber":"+64211234567","otp":"123456"}`, `{"phoneNumber":"+64 21-123.4567","otp":"\u0000"}`},
	"/v1/signin/idtoken":                     {`{"provider":"google","idToken":"eyJhbGciOiJSUzI1NiJ9.e30.c2ln","nonce":"n","options":{"locale":"fr"}}`, `{"provider":"oidc","idToken":"eyJhbGciOiJub25lIn0.e30."}`},
	"/v1/link/idtoken":                       {`{"provider":"apple","idToken":"eyJhbGciOiJSUzI1NiJ9.e30.c2ln","nonce":"n"}`},
	"/v1/token/provider/:provider":           {`{"refreshToken":"1//0gK8"}`, `{"refreshToken":null}`},
	"/v1/user/mfa":                           {`{"code":"123456","activeMfaType":"totp"}`, `{"code":"","activeMfaType":"sms"}`},
	"/v1/elevate/password":                   {`{"password":"correct horse battery"}`},
	"/v1/elevate/totp":                       {`{"otp":"000000"}`},
	"/v1/pat":                                {`{"expiresAt":"2030-01-02T15:04:05Z","metadata":{"k":"v"}}`, `{"expiresAt":"tomorrow"}`},
	"/v1/user/email/change":                  {`{"newEmail":"n@example.com","options":{"redirectTo":"https://evil.example.net"}}`},
	"/v1/admin/users": {
		`{"email":"fz@example.com","password":"correct horse battery","displayName":"Fz","locale":"fr","defaultRole":"user","roles":["me","admin"],"emailVerified":true,"disabled":false,"metadata":{"a":1}}`,
	},
	"/v1/admin/users/:id/roles": {`{"defaultRole":"me","roles":["me","editor"]}`, `{"roles":[]}`, `{"roles":["a b"]}`},
	"/v1/admin/keys/rotate":     {`{"algorithm":"ES999"}`, `{"algorithm":1}`},
	"/v1/signup/webauthn":       {`{"email":"a@example.com","options":{"displayName":"A","locale":"fr","metadata":{"k":"v"}}}`},
	"/v1/signup/webauthn/verify": {
		`{"credential":{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}},"options":{"locale":"fr"},"nickname":"Key"}`,
	},
	"/v1/signin/webauthn": {`{"email":"a@example.com"}`, `{}`},
	"/v1/signin/webauthn/verify": {
		`{"credential":{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA","userHandle":"AA"}}}`,
	},
	"/v1/user/webauthn/verify": {
		`{"credential":{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0","attestationObject":"oA"}},"nickname":"\u0007"}`,
	},
	"/v1/elevate/webauthn/verify": {`{"credential":{"type":"public-key","response":{}}}`},
	"/v1/user/webauthn/keys/:id":  {`{"nickname":"Laptop"}`, `{"nickname":null}`},
	"/v1/oauth2/login":            {`{"requestId":"6f3b8a52-2d8e-4a4a-9d55-6a7b3c1e0f11"}`, `{"requestId":"x"}`},
}

func addSeeds(f *testing.F, routes []fuzzRoute) {
	for i, s := range genericSeeds {
		f.Add(uint8(i%len(routes)), []byte(s))
	}
	for i, rt := range routes {
		for _, s := range routeSeeds[rt.route] {
			f.Add(uint8(i), []byte(s))
		}
	}
}

// checkAnswer is what every target asserts.
func checkAnswer(t *testing.T, path string, body []byte, r *response) {
	if r.Status >= 500 {
		t.Fatalf("status %d from %s for %q: %s", r.Status, path, body, r.Body)
	}
	if r.Status >= 300 && r.Status < 400 {
		return // redirects (none expected from these routes) carry no JSON
	}
	if !json.Valid(r.Body) {
		t.Fatalf("non-JSON answer from %s: %q", path, r.Body)
	}
	if r.Status >= 400 {
		var e struct {
			Status  int    `json:"status"`
			Message string `json:"message"`
			Error   string `json:"error"`
		}
		if err := json.Unmarshal(r.Body, &e); err != nil || e.Status != r.Status || e.Error == "" || e.Message == "" {
			t.Fatalf("bad error shape from %s: %s", path, r.Body)
		}
	}
}

// fuzzEnv sends mail to an SMTP server of its own, so the email flows answer
// as in production rather than "email could not be sent", and texts to the
// log (the SMS provider for a developer's machine).
func fuzzEnv(f *testing.F, overrides map[string]string) *env {
	smtp := mailtest.Start(f)
	return newEnv(f, merge(map[string]string{
		"AUTH_SMTP_HOST":                  smtp.Host,
		"AUTH_SMTP_PORT":                  smtp.PortString(),
		"AUTH_SMTP_SENDER":                "auth@example.com",
		"AUTH_MFA_ENABLED":                "true",
		"AUTH_EMAIL_PASSWORDLESS_ENABLED": "true",
		"AUTH_OTP_EMAIL_ENABLED":          "true",
		"AUTH_SMS_PASSWORDLESS_ENABLED":   "true",
		"AUTH_SMS_PROVIDER":               "log",
		"AUTH_WEBAUTHN_ENABLED":           "true",
		"AUTH_OAUTH2_PROVIDER_ENABLED":    "true",
	}, overrides))
}

// FuzzRequestBodies: bodies for the endpoints that need no credential.
func FuzzRequestBodies(f *testing.F) {
	addSeeds(f, publicFuzzRoutes)
	e := fuzzEnv(f, nil)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		e.t = t
		rt := publicFuzzRoutes[int(which)%len(publicFuzzRoutes)]
		checkAnswer(t, rt.route, body, e.do(rt.method, rt.route, string(body)))
	})
}

// FuzzBearerBodies: bodies for the endpoints that need an access token. An
// input that changed its user in a way that closes paths for the next one
// (signed out everywhere, deanonymized, password changed) gets the next
// input a fresh user; the others share one, since a sign-up per input would
// make sign-ups most of the work.
func FuzzBearerBodies(f *testing.F) {
	addSeeds(f, bearerFuzzRoutes)
	e := fuzzEnv(f, nil)
	var user, anon string // access tokens; "" = make a new one
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		e.t = t
		rt := bearerFuzzRoutes[int(which)%len(bearerFuzzRoutes)]
		access := &user
		if strings.HasSuffix(rt.route, "/deanonymize") {
			access = &anon
		}
		if *access == "" {
			if access == &anon {
				*access = e.anonymous().AccessToken
			} else {
				*access = e.signUp(email(t), nil).AccessToken
			}
		}
		path := rt.route
		if rt.path != "" {
			path = strings.ReplaceAll(rt.path, "{id}", "2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24")
		}
		r := e.do(rt.method, path, string(body), bearer(*access))
		checkAnswer(t, path, body, r)
		changed := r.Status < 300 && slices.ContainsFunc([]string{"/signout", "/deanonymize", "/user/password"}, func(p string) bool {
			return strings.HasSuffix(rt.route, p)
		})
		if changed || r.Status == 401 {
			*access = ""
		}
	})
}

// FuzzAdminBodies: bodies for the admin API. A body that would rotate the
// signing keys for real is skipped: each would generate a key pair (RSA
// ones take long) and grow the key set every later input verifies against;
// TestAdminKeyRotation covers that path.
func FuzzAdminBodies(f *testing.F) {
	addSeeds(f, adminFuzzRoutes)
	e := fuzzEnv(f, map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": opsAdminSecret})
	target := e.signUp("fuzz-admin-target@example.com", nil).User.ID
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		e.t = t
		rt := adminFuzzRoutes[int(which)%len(adminFuzzRoutes)]
		if strings.HasSuffix(rt.route, "/keys/rotate") && wouldRotate(body) {
			t.Skip("a valid rotation: covered by TestAdminKeyRotation")
		}
		path := rt.route
		if rt.path != "" {
			path = strings.ReplaceAll(rt.path, "{id}", target)
		}
		checkAnswer(t, path, body, e.do(rt.method, path, string(body), opsAdmin))
	})
}

// wouldRotate mirrors the handler's strict decoding of {"algorithm"}.
func wouldRotate(body []byte) bool {
	if len(strings.TrimSpace(string(body))) == 0 {
		return true
	}
	var req struct {
		Algorithm *string `json:"algorithm"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if dec.Decode(&req) != nil || dec.More() {
		return false
	}
	if req.Algorithm == nil || *req.Algorithm == "" {
		return true
	}
	return slices.Contains([]string{"EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256"}, *req.Algorithm)
}

// Every route that takes a JSON body is fuzzed by one of the targets above.
func TestFuzzCoversEveryJSONRoute(t *testing.T) {
	e := newEnv(t, nil)
	fuzzed := map[string]bool{}
	for _, list := range [][]fuzzRoute{publicFuzzRoutes, bearerFuzzRoutes, adminFuzzRoutes, oauth2FormRoutes} {
		for _, rt := range list {
			fuzzed[rt.method+" "+rt.route] = true
		}
	}
	var missing []string
	for _, r := range e.srv.Router.Routes() {
		key := r.Method + " " + r.Path
		switch r.Method {
		case "POST", "PUT", "PATCH":
		default:
			continue
		}
		if !fuzzed[key] && !slices.Contains(bodylessRoutes, key) {
			missing = append(missing, key)
		}
	}
	require.Empty(t, missing, "routes with a JSON body that no fuzz target covers: add them to a list in fuzz_test.go (or to bodylessRoutes)")
	for k := range fuzzed {
		found := false
		for _, r := range e.srv.Router.Routes() {
			found = found || r.Method+" "+r.Path == k
		}
		require.True(t, found, "fuzz list names a route the router does not have: %s", k)
	}
}
