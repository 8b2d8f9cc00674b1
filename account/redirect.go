package account

import (
	"fmt"
	"net/url"
	"strings"
)

// Redirect rules, as hasura-auth applies AUTH_CLIENT_URL and
// AUTH_ACCESS_CONTROL_ALLOWED_REDIRECT_URLS:
//
//   - an allowed URL without wildcards allows itself and every path below it
//     ("https://app.com/auth" allows "/auth", "/auth/", "/auth/x/y");
//   - "*" matches within one host label or one path segment, "**" across
//     them ("https://*.app.com", "https://app.com/*/done", "https://app.com/**");
//   - scheme and port must match (a missing port is the scheme's default);
//   - query and fragment are free.
//
// Unlike hasura-auth, which globs over the raw string, the target is parsed
// and compared part by part, and anything a browser could read differently
// from us is refused: userinfo ("https://app.com@evil.com"), backslashes,
// control characters, scheme-relative "//evil.com", opaque "https:evil.com",
// non-ASCII or percent-encoded hosts, and paths with "." / ".." segments or
// encoded "/", "\" or "." (which would climb out of an allowed path).

type redirectRule struct {
	scheme string
	host   string // glob over labels
	port   string // "" only for schemes without a default port
	path   string // glob over segments, always ending in "/**" or an explicit pattern
}

type redirectRules []redirectRule

// compileRedirectRules parses the allowed URLs once, at start.
func compileRedirectRules(allowed []string) (redirectRules, error) {
	var rules redirectRules
	for _, a := range allowed {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		r, err := parseRedirectRule(a)
		if err != nil {
			return nil, fmt.Errorf("AUTH_ACCESS_CONTROL_ALLOWED_REDIRECT_URLS: %q: %w", a, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func parseRedirectRule(a string) (redirectRule, error) {
	scheme, rest, ok := strings.Cut(a, "://")
	if !ok || scheme == "" || !isScheme(scheme) {
		return redirectRule{}, fmt.Errorf("must be an absolute URL such as https://app.example.com")
	}
	authority, path := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	path, _, _ = strings.Cut(path, "?")
	path, _, _ = strings.Cut(path, "#")
	if strings.Contains(authority, "@") {
		return redirectRule{}, fmt.Errorf("must not contain a user name")
	}
	host, port := authority, ""
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && !strings.HasSuffix(authority, "]") {
		host, port = authority[:i], authority[i+1:]
	}
	host = strings.ToLower(host)
	if strings.Trim(host, "*.") == "" {
		return redirectRule{}, fmt.Errorf("needs a host that is not only wildcards")
	}
	if port == "" {
		port = defaultPort(strings.ToLower(scheme))
	}
	// A bare URL allows what lies below it (hasura-auth's rule).
	switch {
	case strings.HasSuffix(path, "/**"):
	case strings.HasSuffix(path, "/*"):
		path += "*"
	case strings.HasSuffix(path, "/"):
		path += "**"
	default:
		path += "/**"
	}
	return redirectRule{scheme: strings.ToLower(scheme), host: host, port: port, path: path}, nil
}

func isScheme(s string) bool {
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

func defaultPort(scheme string) string {
	switch scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// allows reports whether redirectTo may receive a redirect (with a refresh
// token in it).
func (rules redirectRules) allows(redirectTo string) bool {
	u, ok := safeRedirectURL(redirectTo)
	if !ok {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		port = defaultPort(scheme)
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	for _, r := range rules {
		if r.scheme != scheme || r.port != port || !globMatch(r.host, host, '.') {
			continue
		}
		if globMatch(r.path, path, '/') || globMatch(r.path, path+"/", '/') {
			return true
		}
	}
	return false
}

// safeRedirectURL parses a redirect target and refuses every form a browser
// might resolve to another origin, or another path, than we would.
func safeRedirectURL(s string) (*url.URL, bool) {
	for _, c := range s {
		if c <= 0x20 || c == 0x7f || c == '\\' {
			return nil, false
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" || u.User != nil || u.Host == "" {
		return nil, false
	}
	// The raw authority must be plain ASCII host[:port]: no percent-encoding
	// (Go would decode it, a browser might differ) and no IDN look-alikes.
	rest := s[len(u.Scheme)+len("://"):]
	if !strings.HasPrefix(s[len(u.Scheme):], "://") {
		return nil, false
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	for _, c := range authority {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)) {
			return nil, false
		}
	}
	raw := strings.ToLower(u.EscapedPath())
	if strings.Contains(raw, "%2e") || strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") {
		return nil, false
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return nil, false
		}
	}
	return u, true
}

// globMatch matches s against pattern, where "*" matches any run without
// sep and "**" any run at all.
func globMatch(pattern, s string, sep byte) bool {
	for len(pattern) > 0 {
		if pattern[0] != '*' {
			if len(s) == 0 || s[0] != pattern[0] {
				return false
			}
			pattern, s = pattern[1:], s[1:]
			continue
		}
		deep := strings.HasPrefix(pattern, "**")
		if deep {
			pattern = strings.TrimLeft(pattern, "*")
		} else {
			pattern = pattern[1:]
		}
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern, s[i:], sep) {
				return true
			}
			if i < len(s) && !deep && s[i] == sep {
				return false
			}
		}
		return false
	}
	return len(s) == 0
}
