package account

import (
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

func TestMatchTOTP(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	now := time.Unix(1_900_000_005, 0) // 5 s into a step
	step := now.Unix() / totpPeriod
	code := func(at time.Time) string {
		c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []struct {
		name     string
		code     string
		lastUsed int64
		want     int64
		ok       bool
	}{
		{"current step", code(now), 0, step, true},
		{"previous step (skew)", code(now.Add(-30 * time.Second)), 0, step - 1, true},
		{"next step (skew)", code(now.Add(30 * time.Second)), 0, step + 1, true},
		{"two steps back", code(now.Add(-60 * time.Second)), 0, 0, false},
		{"two steps ahead", code(now.Add(60 * time.Second)), 0, 0, false},
		{"replay in the same step", code(now), step, 0, false},
		{"older than the last used", code(now.Add(-30 * time.Second)), step, 0, false},
		{"after an earlier step", code(now), step - 1, step, true},
		{"five digits", code(now)[:5], 0, 0, false},
		{"not digits", "12a456", 0, 0, false},
		{"empty", "", 0, 0, false},
	}
	for _, c := range cases {
		got, ok := matchTOTP(secret, c.code, now, c.lastUsed)
		if ok != c.ok || got != c.want {
			t.Errorf("%s: got (%d, %v), want (%d, %v)", c.name, got, ok, c.want, c.ok)
		}
	}
	if _, ok := matchTOTP("not base32!", code(now), now, 0); ok {
		t.Error("a broken secret matched")
	}
}

func TestStoredTicketIsAHash(t *testing.T) {
	const ticket = "mfaTotp:2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24"
	s := storedTicket(ticket)
	if s == ticket || len(s) != len(mfaTicketPrefix)+64 || s[:len(mfaTicketPrefix)] != mfaTicketPrefix {
		t.Fatalf("stored ticket %q", s)
	}
	if storedTicket(ticket) != s {
		t.Fatal("not deterministic")
	}
}
