package emailaddr

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	ok := []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"Alice@Example.COM", "Alice@example.com"},                     // the domain is lower-cased; citext ignores the local part's case
		{"ＡＬＩＣＥ@ｅｘａｍｐｌｅ．ｃｏｍ", "ALICE@example.com"},                     // full-width, folded by NFKC
		{"alice@bücher.example", "alice@xn--bcher-kva.example"},        // IDN in ASCII
		{"alice@BÜCHER.example", "alice@xn--bcher-kva.example"},        // and its capitals
		{"alice@xn--bcher-kva.example", "alice@xn--bcher-kva.example"}, // already ASCII
		{"first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"},
		{"alice@ｅｘａｍｐｌｅ.jp", "alice@example.jp"},
		{"o'brien@example.ie", "o'brien@example.ie"},
		{"a@b.co", "a@b.co"},
		{strings.Repeat("a", 80) + "@example.com", strings.Repeat("a", 80) + "@example.com"}, // past RFC 5321's 64, as hasura-auth allows
	}
	for _, tc := range ok {
		got, err := Parse(tc.in)
		require.NoError(t, err, "%q", tc.in)
		require.Equal(t, tc.want, got, "%q", tc.in)
	}
	refused := []struct{ name, in, reason string }{
		{"empty", "", "empty"},
		{"no at", "alice.example.com", "local-part@domain"},
		{"no local part", "@example.com", "local-part@domain"},
		{"no domain", "alice@", "local-part@domain"},
		{"zero-width space", "alice\u200b@example.com", "invisible"},
		{"zero-width joiner", "al\u200dice@example.com", "invisible"},
		{"bidi override", "\u202ealice@example.com", "invisible"},
		{"soft hyphen", "ali\u00adce@example.com", "invisible"},
		{"BOM", "\ufeffalice@example.com", "invisible"},
		{"variation selector", "alice\ufe0f@example.com", "invisible"},
		{"Hangul filler", "alice\u3164@example.com", "invisible"},
		{"NUL", "alice\x00@example.com", "invisible"},
		{"newline", "alice@example.com\n", "invisible"},
		{"space", "alice smith@example.com", "invisible"},
		{"no-break space", "alice\u00a0@example.com", "invisible"},
		{"ideographic space", "alice\u3000@example.com", "invisible"},
		{"private use", "alice\ue000@example.com", "invisible"},
		{"unassigned", "alice\U000E0080@example.com", "invisible"},
		{"invalid UTF-8", "alice\xff@example.com", "UTF-8"},
		{"Cyrillic a among Latin", "\u0430lice@example.com", "mixes scripts"},
		{"Greek omicron among Latin", "b\u03bfb@example.com", "mixes scripts"},
		{"Cyrillic in the domain", "alice@ex\u0430mple.com", "mixes scripts"},
		{"IPv4 literal", "alice@[127.0.0.1]", "IP address"},
		{"IPv6 literal", "alice@[IPv6:::1]", "IP address"},
		{"bare IPv4", "alice@127.0.0.1", "IP address"},
		{"numeric TLD", "alice@host.123", "IP address"},
		{"single label", "alice@localhost", "two labels"},
		{"trailing dot", "alice@example.com.", "not a valid domain"},
		{"empty label", "alice@example..com", "not a valid domain"},
		{"underscore in domain", "alice@ex_ample.com", "not a valid domain"},
		{"hyphen-led label", "alice@-example.com", "not a valid domain"},
		{"long label", "alice@" + strings.Repeat("a", 64) + ".com", "not a valid domain"},
		{"too long", strings.Repeat("a", 60) + "@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + "." + strings.Repeat("e", 20) + ".com", "longer than 254"},
		{"display name", "Alice <alice@example.com>", "invisible"},
		{"double dot", "a..b@example.com", "not a valid address"},
		{"leading dot", ".alice@example.com", "not a valid address"},
		{"comma", "a,b@example.com", "not a valid address"},
		{"symbol in local part", "alice\u2605@example.com", "not allowed"},
		// The schema stores ASCII local parts only.
		{"accented, composed", "josé@example.com", "must be ASCII"},
		{"accented, decomposed", "jose\u0301@example.com", "must be ASCII"},
		{"Cyrillic alone", "алиса@example.com", "must be ASCII"},
		{"Han with Latin", "山田taro@example.jp", "must be ASCII"},
	}
	for _, tc := range refused {
		got, err := Parse(tc.in)
		require.Error(t, err, "%s: %q gave %q", tc.name, tc.in, got)
		var e *Error
		require.True(t, errors.As(err, &e), tc.name)
		require.Contains(t, e.Reason, tc.reason, tc.name)
	}
}

// Look-alikes of one address are that address or refused, never another.
func TestLookAlikesAreOneAccount(t *testing.T) {
	for _, in := range []string{"alice@example.com", "ＡＬＩＣＥ@example.com", "alice@EXAMPLE.com", "ａｌｉｃｅ@ｅｘａｍｐｌｅ.ｃｏｍ"} {
		got, err := Parse(in)
		require.NoError(t, err)
		require.Equal(t, "alice@example.com", strings.ToLower(got), in)
	}
	for _, in := range []string{"alice\u200b@example.com", "\u0430lice@example.com", "alice@[127.0.0.1]", "alice\u2060@example.com"} {
		_, err := Parse(in)
		require.Error(t, err, "%q", in)
	}
}

// schemaEmail is the check of hasura-auth's auth.email domain
// (migrations/sql/0001_auth_schema.sql): what Parse returns must pass it.
var schemaEmail = regexp.MustCompile("^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")

func TestOneScript(t *testing.T) {
	for s, want := range map[string]bool{
		"alice": true, "алиса": true, "\u0430lice": false, "山田taro": true, "やまだ山田": true,
		"b\u03bfb": false, "bücher": true, "exаmple": false, "123-_.": true,
	} {
		require.Equal(t, want, oneScript(s), "%q", s)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"alice@example.com", "ＡＬＩＣＥ@example.com", "alice@bücher.example", "\u0430lice@example.com",
		"alice\u200b@example.com", "alice@[127.0.0.1]", "\"quoted local\"@example.com", "a@b", "@", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Reason == "" {
				t.Fatalf("Parse(%q): error %v is not an *Error with a reason", s, err)
			}
			return
		}
		if !utf8.ValidString(out) || len(out) > MaxLength {
			t.Fatalf("Parse(%q) = %q: invalid UTF-8 or too long", s, out)
		}
		// Stable: what Parse returns, it returns again as is.
		again, err := Parse(out)
		if err != nil || again != out {
			t.Fatalf("Parse(%q) = %q, but Parse(%q) = %q, %v", s, out, out, again, err)
		}
		for _, r := range out {
			if invisible(r) {
				t.Fatalf("Parse(%q) = %q holds U+%04X", s, out, r)
			}
		}
		if !schemaEmail.MatchString(out) {
			t.Fatalf("Parse(%q) = %q, which auth.email's check refuses", s, out)
		}
		domain := out[strings.LastIndexByte(out, '@')+1:]
		for i := 0; i < len(domain); i++ {
			if domain[i] >= utf8.RuneSelf || 'A' <= domain[i] && domain[i] <= 'Z' {
				t.Fatalf("Parse(%q) = %q: the domain is not lower-case ASCII", s, out)
			}
		}
	})
}
