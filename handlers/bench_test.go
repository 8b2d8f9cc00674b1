package handlers_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// Benchmarks of the hot paths through the real router and PostgreSQL.
// Run: go test ./handlers -run '^$' -bench . -benchmem

func BenchmarkSignIn(b *testing.B) {
	e := newEnv(b, map[string]string{"AUTH_BCRYPT_COST": "10"})
	addr := email(b)
	e.signUp(addr, nil)
	body := map[string]any{"email": addr, "password": password}
	b.ResetTimer()
	for b.Loop() {
		if r := e.do("POST", "/v1/signin/email-password", body); r.Status != 200 {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
}

func BenchmarkRefreshChain(b *testing.B) {
	e := newEnv(b, nil)
	tok := e.signUp(email(b), nil).RefreshToken
	b.ResetTimer()
	for b.Loop() {
		r := e.refresh(tok)
		if r.Status != 200 {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
		var s struct{ RefreshToken string }
		require.NoError(b, json.Unmarshal(r.Body, &s))
		tok = s.RefreshToken
	}
}

func BenchmarkRefreshParallel(b *testing.B) {
	e := newEnv(b, nil)
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		tok := e.signUp(email(b), nil).RefreshToken
		for pb.Next() {
			r := e.refresh(tok)
			if r.Status != 200 {
				b.Errorf("%d %s", r.Status, r.Body)
				return
			}
			var s struct{ RefreshToken string }
			_ = json.Unmarshal(r.Body, &s)
			tok = s.RefreshToken
		}
	})
}

func BenchmarkVerifyBearer(b *testing.B) {
	e := newEnv(b, nil)
	s := e.signUp(email(b), nil)
	b.ResetTimer()
	for b.Loop() {
		if r := e.do("POST", "/v1/token/verify", nil, bearer(s.AccessToken)); r.Status != 200 {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
}

// benchHS256 is the secret the reference measurements of hasura-auth used.
var benchHS256 = map[string]string{"HASURA_GRAPHQL_JWT_SECRET": `{"type":"HS256","key":"bench-secret-bench-secret-bench-secret-0123"}`}

func BenchmarkVerifyBearerHS256(b *testing.B) {
	e := newEnv(b, benchHS256)
	s := e.signUp(email(b), nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if r := e.do("POST", "/v1/token/verify", nil, bearer(s.AccessToken)); r.Status != 200 {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
}

func BenchmarkGetUser(b *testing.B) {
	e := newEnv(b, benchHS256)
	s := e.signUp(email(b), nil)
	b.ResetTimer()
	for b.Loop() {
		if r := e.do("GET", "/v1/user", nil, bearer(s.AccessToken)); r.Status != 200 {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
}

func BenchmarkSignInAnonymous(b *testing.B) {
	e := newEnv(b, nil)
	b.ResetTimer()
	for b.Loop() {
		if r := e.do("POST", "/v1/signin/anonymous", nil); r.Status != 200 {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
}
