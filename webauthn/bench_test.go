package webauthn_test

import "testing"

// One passkey sign-in by email, begin and finish, against PostgreSQL: four
// statements to begin (user and roles, keys, challenge), seven to finish
// (challenge, key, keys, counter, details, user and roles) in one
// transaction, the software authenticator's signing and the library's
// verification.
func BenchmarkSignIn(b *testing.B) {
	e := newEnv(b)
	d := newDevice()
	e.signUp("ada@example.com", d)
	b.ResetTimer()
	for range b.N {
		d.cred.Counter++
		opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, "ada@example.com")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.svc.FinishSignIn(e.ctx, e.db, d.get(b, e.rp, opts)); err != nil {
			b.Fatal(err)
		}
	}
}
