package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// GravatarConfig is hasura-auth's AUTH_GRAVATAR_*: the avatarUrl of users
// who sign up with an email.
type GravatarConfig struct {
	Enabled bool
	Default string // the image Gravatar shows for an unknown address: blank, identicon, …
	Rating  string // g, pg, r or x
}

// validateCompat checks the variables added for hasura-auth parity, and
// stops the start when one switches on what this release cannot do.
func (c *Config) validateCompat(bad func(name, format string, args ...any)) {
	for _, x := range Vars() {
		if !x.Gate || x.bind.on == nil || !x.bind.on(c) {
			continue
		}
		switch {
		case x.Refused != "":
			bad(x.Name, "is set, and this server does not support it: %s; unset it", x.Refused)
		case x.Pending != "":
			bad(x.Name, "is set, but %s is not available in this release yet; unset it to start", x.Pending)
		}
	}
	for name, u := range map[string]string{"AUTH_PASSWORD_HIBP_URL": c.HIBPURL, "AUTH_TURNSTILE_VERIFY_URL": c.TurnstileVerifyURL} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			bad(name, "must be an http(s) URL, got %q", u)
		}
	}
	if s := c.RateLimit.MemcacheServer; s != "" {
		for _, addr := range strings.Split(s, ",") {
			if _, port, err := net.SplitHostPort(strings.TrimSpace(addr)); err != nil || port == "" {
				bad("AUTH_RATE_LIMIT_MEMCACHE_SERVER", "must be host:port (comma-separated for several servers), got %q", addr)
			}
		}
		if c.RateLimit.RedisURL != "" {
			bad("AUTH_RATE_LIMIT_MEMCACHE_SERVER", "and AUTH_RATE_LIMIT_REDIS_URL are both set: choose one shared store")
		}
	}
	if len(c.RateLimit.MemcachePrefix) > 100 {
		bad("AUTH_RATE_LIMIT_MEMCACHE_PREFIX", "must be at most 100 characters (memcached keys are 250 at most)")
	}
	if strings.ContainsAny(c.RateLimit.MemcachePrefix, " \t\r\n") {
		bad("AUTH_RATE_LIMIT_MEMCACHE_PREFIX", "must not contain spaces (memcached keys cannot)")
	}
}

// unknownVariables names the AUTH_* variables among names that nothing reads
// (a typo, or a setting of another release), once each.
func unknownVariables(names []string) []string {
	known := map[string]bool{}
	for _, x := range Vars() {
		known[x.Name] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if !strings.HasPrefix(n, "AUTH_") || known[n] || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, fmt.Sprintf("%s is set but nothing reads it: a typo? (docs/configuration.md lists every variable)", n))
	}
	slices.Sort(out)
	return out
}
