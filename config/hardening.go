package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RateLimit is one of hasura-auth's AUTH_RATE_LIMIT_<NAME>_{BURST,INTERVAL}
// pairs: at most Burst requests at once, refilled at Burst per Interval.
type RateLimit struct {
	Burst    int
	Interval time.Duration
}

// RateLimitConfig holds every rate-limit setting (package ratelimit).
type RateLimitConfig struct {
	Enabled                                 bool // AUTH_RATE_LIMIT_ENABLE
	Global, Email, SMS, BruteForce, Signups RateLimit
	OAuth2Server                            RateLimit // the OpenID Connect provider's server-to-server endpoints
	// EmailIsGlobal (AUTH_RATE_LIMIT_EMAIL_IS_GLOBAL): the email limit is one
	// bucket for the whole server instead of one per client IP.
	EmailIsGlobal  bool
	RedisURL       string `json:"-"` // may hold a password
	RedisPrefix    string
	MemcacheServer string // AUTH_RATE_LIMIT_MEMCACHE_SERVER: host:port of memcached, nhost's shared store
	MemcachePrefix string
}

var rateLimitNames = []string{"GLOBAL", "EMAIL", "SMS", "BRUTE_FORCE", "SIGNUPS", "OAUTH2_SERVER"}

func (r RateLimitConfig) byName(name string) RateLimit {
	switch name {
	case "GLOBAL":
		return r.Global
	case "EMAIL":
		return r.Email
	case "SMS":
		return r.SMS
	case "BRUTE_FORCE":
		return r.BruteForce
	case "OAUTH2_SERVER":
		return r.OAuth2Server
	}
	return r.Signups
}

// validateHardening checks the abuse, browser and operator settings.
func (c *Config) validateHardening(bad func(name, format string, args ...any)) {
	for _, n := range rateLimitNames {
		l := c.RateLimit.byName(n)
		if l.Burst < 1 {
			bad("AUTH_RATE_LIMIT_"+n+"_BURST", "must be at least 1")
		}
		if l.Interval < time.Second {
			bad("AUTH_RATE_LIMIT_"+n+"_INTERVAL", "must be at least 1s")
		}
	}
	if c.RateLimit.RedisURL != "" {
		// The value is never echoed: it may carry a password.
		if _, err := redis.ParseURL(c.RateLimit.RedisURL); err != nil {
			bad("AUTH_RATE_LIMIT_REDIS_URL", "must be a redis://, rediss:// or unix:// URL")
		}
	}
	for _, p := range c.TrustedProxies {
		if _, err := parseIPOrPrefix(p); err != nil {
			bad("AUTH_TRUSTED_PROXIES", "%q is not an IP address or CIDR range", p)
		}
	}
	for i, o := range c.CORSAllowedOrigins {
		n, err := NormalizeOrigin(o)
		if err != nil {
			bad("AUTH_CORS_ALLOWED_ORIGINS", "%q: %v", o, err)
			continue
		}
		c.CORSAllowedOrigins[i] = n
	}
	if c.RefreshTokenCookie {
		// Browsers drop Secure cookies set over plain http (but for localhost),
		// so cookie mode would silently never work.
		if u, err := url.Parse(c.ServerURL); err == nil && u.Scheme != "https" && !c.isLocalhostServer() {
			bad("AUTH_REFRESH_TOKEN_COOKIE", "needs an https:// AUTH_SERVER_URL (or http://localhost for development)")
		}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("AUTH_LOG_FORMAT", "must be json or text, got %q", c.LogFormat)
	}
}

func parseIPOrPrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// NormalizeOrigin turns an allowed origin into the form browsers send in the
// Origin header: lower-case scheme://host[:port], no default port, no path.
// "*" stays "*".
func NormalizeOrigin(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "*" {
		return s, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("must be * or an origin such as https://app.example.com")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("an origin has no path, query or user: write %s://%s", u.Scheme, u.Host)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return u.Scheme + "://" + host, nil
}

// isLocalhostServer: AUTH_SERVER_URL is http on the developer's own machine,
// the one place browsers accept cookies without Secure being possible.
func (c *Config) isLocalhostServer() bool {
	u, err := url.Parse(c.ServerURL)
	if err != nil || u.Scheme != "http" {
		return false
	}
	switch h := u.Hostname(); h {
	case "localhost", "127.0.0.1", "::1":
		return true
	default:
		return strings.HasSuffix(h, ".localhost")
	}
}

// CookieSecure says whether the refresh-token cookie carries Secure.
func (c *Config) CookieSecure() bool { return !c.isLocalhostServer() }
