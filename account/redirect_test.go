package account

import (
	"testing"
)

func TestRedirectRules(t *testing.T) {
	rules, err := compileRedirectRules([]string{
		"https://app.example.com",         // AUTH_CLIENT_URL: the site and everything below
		"https://admin.example.com/auth",  // a path and below
		"https://*.preview.example.com/*", // one label; a trailing /* means below, as in hasura-auth
		"https://flow.example.com/*/done", // one segment
		"http://localhost:3000/**",
		"myapp://callback",
		"",
	})
	if err != nil {
		t.Fatal(err)
	}
	allowed := []string{
		"https://app.example.com",
		"https://app.example.com/",
		"https://app.example.com/welcome?x=1#frag",
		"https://app.example.com/a/b/c",
		"https://APP.example.com/x",     // hosts compare case-insensitively
		"HTTPS://app.example.com/x",     // and schemes
		"https://app.example.com:443/x", // the default port written out
		"https://admin.example.com/auth",
		"https://admin.example.com/auth/",
		"https://admin.example.com/auth/callback",
		"https://pr-12.preview.example.com/",
		"https://pr-12.preview.example.com/page",
		"https://pr-12.preview.example.com",
		"https://pr-12.preview.example.com/a/b",
		"https://flow.example.com/a/done",
		"https://flow.example.com/a/done/next",
		"http://localhost:3000/x/y",
		"myapp://callback/done",
		"https://app.example.com/?next=https://evil.example.com", // query is free
		"https://app.example.com/%7Euser",                        // encoded non-separator
	}
	refused := []string{
		"",
		"/relative",
		"//evil.example.com",                 // scheme-relative
		"///evil.example.com",                // ditto, browsers normalise it
		"/\\evil.example.com",                // ditto, with a backslash
		"https:evil.example.com",             // opaque
		"https:/\\evil.example.com",          // backslash
		"https://app.example.com\\@evil.com", // browsers end the host at \
		"https://app.example.com@evil.example.com/",
		"https://user:pw@app.example.com/",            // any userinfo
		"https://app.example.com.evil.example.com/",   // look-alike suffix
		"https://evilapp.example.com/",                // look-alike prefix
		"https://app.example.com:8443/",               // other port
		"http://app.example.com/",                     // scheme change
		"ftp://app.example.com/",                      // scheme change
		"javascript:alert(1)",                         // no host
		"https://app%2eexample.com/",                  // encoded host
		"https://xn--pp-6kc.example.com/",             // other host, punycode or not
		"https://аpp.example.com/",                    // Cyrillic а
		"https://admin.example.com/authx",             // not below /auth
		"https://admin.example.com/",                  // above /auth
		"https://admin.example.com/auth/../admin",     // dot segments
		"https://admin.example.com/auth/%2e%2e/admin", // encoded dots
		"https://admin.example.com/auth%2f..%2fadmin", // encoded slash
		"https://admin.example.com/auth/%5c..",        // encoded backslash
		"https://a.b.preview.example.com/",            // * is one label
		"https://preview.example.com/",                // * needs a label
		"https://flow.example.com/a/b/done",           // * is one segment
		"https://flow.example.com/done",
		"https://app.example.com/\t", // control characters
		"https://app.example.com\n.evil.com/",
		"https://evil.example.com#https://app.example.com",
		"https://evil.example.com?https://app.example.com",
		"http://localhost:3001/",
		"myapp://other",
	}
	for _, u := range allowed {
		if !rules.allows(u) {
			t.Errorf("refused %q, want allowed", u)
		}
	}
	for _, u := range refused {
		if rules.allows(u) {
			t.Errorf("allowed %q, want refused", u)
		}
	}

	var none redirectRules
	if none.allows("https://app.example.com") {
		t.Error("with no allowed URLs nothing may be redirected to")
	}
	for _, bad := range []string{"app.example.com", "https://*", "https://**.*", "https://user@app.example.com"} {
		if _, err := compileRedirectRules([]string{bad}); err == nil {
			t.Errorf("compiled %q, want an error", bad)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"/a/**", "/a/", true},
		{"/a/**", "/a/b/c", true},
		{"/a/*", "/a/b", true},
		{"/a/*", "/a/b/c", false},
		{"/a/*/c", "/a/b/c", true},
		{"*.x.com", "a.x.com", true},
		{"*.x.com", "a.b.x.com", false},
		{"**.x.com", "a.b.x.com", true},
		{"pr-*.x.com", "pr-1.x.com", true},
		{"pr-*.x.com", "qr-1.x.com", false},
		{"x.com", "x.comm", false},
	}
	for _, c := range cases {
		sep := byte('/')
		if c.pattern[0] != '/' {
			sep = '.'
		}
		if got := globMatch(c.pattern, c.s, sep); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}
