package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"time"
)

// Rules are hasura-auth's five limits and nhost's OAuth2 server limit.
type Rules struct {
	Global, Email, SMS, BruteForce, Signups Rule
	OAuth2Server                            Rule
	// SignUpSendsEmail: sign-up (and deanonymize) mail a verification link
	// (AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED), so they count as email too.
	SignUpSendsEmail bool
	// EmailGlobal (AUTH_RATE_LIMIT_EMAIL_IS_GLOBAL): the email limit is one
	// bucket for every client together instead of one per IP (the bucket of
	// each target address stays).
	EmailGlobal bool
}

// Limiter applies the rules to requests.
type Limiter struct {
	store Store
	rules Rules
	now   func() time.Time
}

// New returns a Limiter over store. now is the server's clock.
func New(store Store, rules Rules, now func() time.Time) *Limiter {
	rules.Global.Name, rules.Email.Name, rules.SMS.Name = "global", "email", "sms"
	rules.BruteForce.Name, rules.Signups.Name = "bruteforce", "signups"
	rules.OAuth2Server.Name = "oauth2-server"
	return &Limiter{store: store, rules: rules, now: now}
}

// Class is the set of limits a request counts against besides the global
// one, which every limited request counts against. Routes declare theirs
// (handlers' route table); the limiter never looks at paths.
type Class uint8

const (
	// Global alone: no limit but the global one.
	Global Class = 0
	// Email: sends an email; counted per IP and per target address.
	Email Class = 1 << iota
	// VerificationEmail: mails a verification link only when sign-ups must
	// verify their address (Rules.SignUpSendsEmail); counted as Email then.
	VerificationEmail
	// SMS: sends a text message; counted per IP and per target number.
	SMS
	// BruteForce: the caller guesses a secret (password, code, ticket);
	// counted per IP and per target address.
	BruteForce
	// SignUp: creates accounts.
	SignUp
	// OAuth2Server: an application's server calls the OpenID Connect
	// provider (token, introspection, revocation).
	OAuth2Server
)

// Has reports whether c includes every limit of x.
func (c Class) Has(x Class) bool { return c&x == x }

// Targeted reports whether requests of c are also counted per target
// address, so the caller should fill Request.Target.
func (c Class) Targeted() bool { return c&(Email|VerificationEmail|SMS|BruteForce) != 0 }

// Request is what a limit decision looks at.
type Request struct {
	Class  Class
	IP     netip.Addr // the client, as AUTH_TRUSTED_PROXIES resolves it
	Target string     // the email or phone number (E.164) the request is about, "" when none
}

// Denied says which limit refused a request and when to retry.
type Denied struct {
	Rule       string // global, email, sms, bruteforce, bruteforce-account, signups, oauth2-server
	RetryAfter time.Duration
	// Challenge: only the account's limit of failed guesses refused it
	// (bruteforce-account). The caller may let the request through on a
	// passed captcha; without one, it may let through an IP that has not
	// failed at the account (FailedHere false), so that guesses from
	// elsewhere cannot lock the owner out.
	Challenge  bool
	FailedHere bool
}

// AccountRule is the limit of failed guesses at one account from all IPs
// together; BruteForce's burst and interval.
const AccountRule = "bruteforce-account"

// Check counts the request against every limit it falls under, in
// hasura-auth's order, and returns the first that refuses it (nil: allowed).
// Limits checked before the refusing one have counted the request.
func (l *Limiter) Check(ctx context.Context, req Request) (*Denied, error) {
	ip := ipKey(req.IP)
	target := ""
	if req.Target != "" {
		target = targetKey(req.Target)
	}
	type take struct {
		rule Rule
		key  string
	}
	takes := []take{{l.rules.Global, ip}}
	if req.Class.Has(Email) || (req.Class.Has(VerificationEmail) && l.rules.SignUpSendsEmail) {
		if l.rules.EmailGlobal {
			takes = append(takes, take{l.rules.Email, "all"})
		} else {
			takes = append(takes, take{l.rules.Email, ip})
		}
		if target != "" {
			// one address cannot be mail-bombed from many IPs
			takes = append(takes, take{l.rules.Email, target})
		}
	}
	if req.Class.Has(SMS) {
		takes = append(takes, take{l.rules.SMS, ip})
		if target != "" {
			// one number cannot be flooded with texts from many IPs
			takes = append(takes, take{l.rules.SMS, target})
		}
	}
	if req.Class.Has(BruteForce) {
		takes = append(takes, take{l.rules.BruteForce, ip})
		if target != "" {
			// Per account and IP, not per account: a bucket every IP shared
			// would let anyone lock the owner out. Guesses spread over many
			// IPs meet the account's failure limit instead (below).
			takes = append(takes, take{l.rules.BruteForce, pairKey(target, ip)})
		}
	}
	if req.Class.Has(SignUp) {
		takes = append(takes, take{l.rules.Signups, ip})
	}
	if req.Class.Has(OAuth2Server) {
		takes = append(takes, take{l.rules.OAuth2Server, ip})
	}
	now := l.now()
	for _, t := range takes {
		ok, retry, err := l.store.Take(ctx, t.rule, t.key, now)
		if err != nil {
			return nil, err
		}
		if !ok {
			return &Denied{Rule: t.rule.Name, RetryAfter: retry}, nil
		}
	}
	if req.Class.Has(BruteForce) && target != "" {
		ok, retry, err := l.store.Peek(ctx, l.accountRule(), target, now)
		if err != nil || ok {
			return nil, err
		}
		clean, _, err := l.store.Peek(ctx, l.failedHereRule(), pairKey(target, ip), now)
		if err != nil {
			return nil, err
		}
		return &Denied{Rule: AccountRule, RetryAfter: retry, Challenge: true, FailedHere: !clean}, nil
	}
	return nil, nil
}

// Failed counts a failed guess (a wrong password, code or ticket) of a
// BruteForce request at its target: against the account's limit and as a
// failure of this IP at it.
func (l *Limiter) Failed(ctx context.Context, req Request) error {
	if !req.Class.Has(BruteForce) || req.Target == "" {
		return nil
	}
	target, now := targetKey(req.Target), l.now()
	if _, _, err := l.store.Take(ctx, l.accountRule(), target, now); err != nil {
		return err
	}
	_, _, err := l.store.Take(ctx, l.failedHereRule(), pairKey(target, ipKey(req.IP)), now)
	return err
}

func (l *Limiter) accountRule() Rule {
	r := l.rules.BruteForce
	r.Name = AccountRule
	return r
}

// failedHereRule marks an (account, IP) that failed within the interval:
// one token, back an interval after the failure.
func (l *Limiter) failedHereRule() Rule {
	return Rule{Name: "bruteforce-failed", Burst: 1, Interval: l.rules.BruteForce.Interval}
}

// Close releases the store.
func (l *Limiter) Close() error { return l.store.Close() }

// ipKey is the bucket of an address. An IPv6 client usually holds a whole
// /64, so that is what one client is; IPv4-mapped addresses count as IPv4.
func ipKey(a netip.Addr) string {
	if !a.IsValid() {
		return "ip:unknown"
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}

// pairKey is the bucket of one IP's requests about one target.
func pairKey(target, ip string) string { return target + "|" + ip }

// targetKey names an email's or number's bucket by a hash: Redis never holds addresses.
func targetKey(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "to:" + hex.EncodeToString(sum[:16])
}
