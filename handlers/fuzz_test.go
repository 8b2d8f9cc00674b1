package handlers_test

import (
	"encoding/json"
	"testing"
)

// FuzzRequestBodies throws arbitrary bodies at every JSON endpoint: whatever
// arrives, the answer is never a 500 and always JSON in the contract's shapes.
func FuzzRequestBodies(f *testing.F) {
	paths := []string{
		"/v1/signup/email-password", "/v1/signin/email-password", "/v1/signin/anonymous",
		"/v1/token", "/v1/token/verify", "/v1/signout", "/v1/user/deanonymize",
		"/v1/signin/mfa/totp", "/v1/signin/pat",
	}
	seeds := []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"email":"a@example.com","password":"correct horse battery"}`,
		`{"email":"a@example.com","password":"correct horse battery","options":{"allowedRoles":["me"],"defaultRole":"me","locale":"fr","metadata":{"a":[1,{"b":null}]}}}`,
		`{"refreshToken":"2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24"}`, `{"refreshToken":"2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24","all":true}`,
		`{"token":"eyJhbGciOiJub25lIn0.e30."}`, `{"email":"\u0000@x.y","password":"\ud800"}`, `{"a":1}{"b":2}`, `{"email":1e400}`,
		`{"signInMethod":"email-password","email":"b@example.com","password":"correct horse battery"}`,
		`{"ticket":"mfaTotp:2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24","otp":"123456"}`, `{"ticket":"mfaTotp:","otp":"\u0000"}`,
		`{"personalAccessToken":"2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24"}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		e.t = t
		r := e.do("POST", paths[int(which)%len(paths)], string(body))
		if r.Status >= 500 {
			t.Fatalf("status %d for %q: %s", r.Status, body, r.Body)
		}
		if !json.Valid(r.Body) {
			t.Fatalf("non-JSON answer %q", r.Body)
		}
		if r.Status >= 400 {
			var e struct {
				Status  int    `json:"status"`
				Message string `json:"message"`
				Error   string `json:"error"`
			}
			if err := json.Unmarshal(r.Body, &e); err != nil || e.Status != r.Status || e.Error == "" || e.Message == "" {
				t.Fatalf("bad error shape %s", r.Body)
			}
		}
	})
}
