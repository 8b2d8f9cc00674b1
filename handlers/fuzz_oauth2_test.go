package handlers_test

import (
	"encoding/json"
	"testing"
)

// The OpenID Connect provider's form-encoded endpoints, fuzzed like the
// JSON ones: never a 5xx, and every refusal in RFC 6749's shape.

var oauth2FormRoutes = []fuzzRoute{
	{"POST", "/v1/oauth2/authorize", ""},
	{"POST", "/v1/oauth2/token", ""},
	{"POST", "/v1/oauth2/introspect", ""},
	{"POST", "/v1/oauth2/revoke", ""},
}

// Clients the seeds name (inserted if missing: the fuzz database is shared).
const (
	fuzzPublicClient       = "nhoa_f0220000000000a1"
	fuzzConfidentialClient = "nhoa_f0220000000000c2"
	fuzzClientSecret       = "fuzz-client-secret"
)

var oauth2FormSeeds = []string{
	"", "=", "%zz", "grant_type=authorization_code&grant_type=refresh_token",
	"client_id=" + fuzzPublicClient + "&redirect_uri=https%3A%2F%2Frp.example.com%2Fcallback&response_type=code&scope=openid&state=s" +
		"&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
	"client_id=" + fuzzPublicClient + "&redirect_uri=https%3A%2F%2Frp.example.com%2Fcallback&response_type=token&prompt=none+login",
	"grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Frp.example.com%2Fcallback&client_id=" + fuzzPublicClient +
		"&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
	"grant_type=refresh_token&refresh_token=abc&scope=openid&client_id=" + fuzzConfidentialClient + "&client_secret=" + fuzzClientSecret,
	"token=eyJhbGciOiJub25lIn0.e30.&token_type_hint=access_token&client_id=" + fuzzConfidentialClient + "&client_secret=" + fuzzClientSecret,
	"token=%00&client_id=" + fuzzPublicClient,
	"client_id=\x00", "client_id=%00&client_secret=x", // PostgreSQL text holds no NUL
}

func FuzzOAuth2Forms(f *testing.F) {
	for i, s := range oauth2FormSeeds {
		for r := range oauth2FormRoutes {
			f.Add(uint8(r), []byte(s))
		}
		f.Add(uint8(i), []byte(s))
	}
	e := fuzzEnv(f, nil)
	var hash string // bcrypt of fuzzClientSecret, as an operator stores it
	must := func(err error) {
		if err != nil {
			f.Fatal(err)
		}
	}
	must(e.db().Raw(`SELECT crypt(?, gen_salt('bf', 4))`, fuzzClientSecret).Scan(&hash).Error)
	must(e.db().Exec(`INSERT INTO auth.oauth2_clients (client_id, client_secret_hash, redirect_uris) VALUES
  (?, NULL, '{https://rp.example.com/callback}'), (?, ?, '{https://rp.example.com/callback}') ON CONFLICT DO NOTHING`,
		fuzzPublicClient, fuzzConfidentialClient, hash).Error)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		e.t = t
		rt := oauth2FormRoutes[int(which)%len(oauth2FormRoutes)]
		r := e.do(rt.method, rt.route, string(body), formType)
		if r.Status >= 500 {
			t.Fatalf("status %d from %s for %q: %s", r.Status, rt.route, body, r.Body)
		}
		if r.Status == 302 || (r.Status == 200 && len(r.Body) == 0) {
			return // a redirect; a revocation
		}
		var refusal struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if !json.Valid(r.Body) {
			t.Fatalf("non-JSON answer from %s: %q", rt.route, r.Body)
		}
		if r.Status >= 400 && (json.Unmarshal(r.Body, &refusal) != nil || refusal.Error == "" || refusal.Description == "") {
			t.Fatalf("bad error shape from %s: %s", rt.route, r.Body)
		}
	})
}
