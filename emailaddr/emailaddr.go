// Package emailaddr turns an email address as a client wrote it into the one
// form every flow stores and looks up, or refuses it, so that addresses that
// look alike cannot be separate accounts: invisible and control characters
// are refused, compatibility forms (full-width letters) folded by NFKC, the
// domain written in its ASCII (punycode) form, and IP-literal and
// single-label domains and local parts mixing scripts (a Cyrillic "а" among
// Latin letters) refused. The tables are golang.org/x/text's and x/net's
// (Unicode's), not ours. Local parts end up ASCII: the auth.email column of
// hasura-auth's schema takes nothing else (the Unicode checks before that
// rule give the clearer reason, and stand ready should the column widen).
package emailaddr

import (
	"fmt"
	"net/mail"
	"net/netip"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// MaxLength is RFC 5321's limit of a path. Its 64-byte limit of the local
// part is not applied: hasura-auth never did, and accounts exist beyond it.
const MaxLength = 254

// Error says why an address was refused; its message can be shown to the client.
type Error struct{ Reason string }

func (e *Error) Error() string { return "invalid email address: " + e.Reason }

func refuse(format string, a ...any) error { return &Error{Reason: fmt.Sprintf(format, a...)} }

// domains maps a domain to its ASCII form as a lookup would (UTS 46,
// lower-cased, hyphen and length rules, the bidi rule), refusing what no
// registry would hand out.
var domains = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.StrictDomainName(true),
	idna.ValidateLabels(true),
	idna.VerifyDNSLength(true),
	idna.BidiRule(),
)

// Parse returns the form of s to store and look up: NFKC, the domain in
// ASCII and lower case. The local part keeps its case (auth.users.email is
// citext: lookups ignore case).
func Parse(s string) (string, error) {
	if s == "" {
		return "", refuse("it is empty")
	}
	if len(s) > 4*MaxLength {
		return "", refuse("it is longer than %d characters", MaxLength)
	}
	if !utf8.ValidString(s) {
		return "", refuse("it is not valid UTF-8")
	}
	for _, r := range s {
		if invisible(r) {
			return "", refuse("it contains an invisible or control character (U+%04X)", r)
		}
	}
	s = norm.NFKC.String(s)
	for _, r := range s {
		if invisible(r) { // NFKC can make a space (U+00A0 → U+0020)
			return "", refuse("it contains an invisible or control character (U+%04X)", r)
		}
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at == len(s)-1 {
		return "", refuse("it must be local-part@domain")
	}
	local, domain := s[:at], s[at+1:]
	if strings.HasPrefix(domain, "[") || isIP(domain) {
		return "", refuse("the domain must be a name, not an IP address")
	}
	ascii, err := domains.ToASCII(domain)
	if err != nil || strings.HasSuffix(ascii, ".") || strings.Contains(ascii, "..") {
		return "", refuse("the domain is not a valid domain name")
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 {
		return "", refuse("the domain must have at least two labels (example.com)")
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "", refuse("the domain must be a name, not an IP address")
	}
	if uni, err := domains.ToUnicode(ascii); err != nil || !oneScript(uni) {
		return "", refuse("the domain mixes scripts (look-alike characters)")
	}
	if !isASCII(local) {
		// Internationalised local parts (RFC 6531): what PRECIS allows in an
		// identifier, written in one script.
		if _, err := precis.UsernameCasePreserved.String(local); err != nil {
			return "", refuse("the part before @ contains characters not allowed in an address")
		}
		if !oneScript(local) {
			return "", refuse("the part before @ mixes scripts (look-alike characters)")
		}
		// hasura-auth's schema (the auth.email domain's check) stores ASCII
		// local parts only; saying so beats a refused INSERT.
		return "", refuse("the part before @ must be ASCII (letters, digits and !#$%%&'*+/=?^_`{|}~.-)")
	}
	out := local + "@" + ascii
	if len(out) > MaxLength {
		return "", refuse("it is longer than %d characters", MaxLength)
	}
	// RFC 5322's syntax of the local part (dot-atom or quoted string), with
	// the domain ASCII now; net/mail reads UTF-8 local parts too.
	addr, err := mail.ParseAddress(out)
	if err != nil || addr.Name != "" || addr.Address != out {
		return "", refuse("it is not a valid address")
	}
	return out, nil
}

// invisible: control, format (zero-width, bidi overrides, soft hyphen),
// private-use, surrogate and unassigned characters, separators other than
// nothing at all (an address has no spaces), variation selectors and the
// other default-ignorable code points (Hangul fillers).
func invisible(r rune) bool {
	if r < utf8.RuneSelf {
		return r <= ' ' || r == 0x7f
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Z,
		unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point) ||
		!unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S) // unassigned
}

func isIP(domain string) bool {
	_, err := netip.ParseAddr(strings.TrimSuffix(domain, "."))
	return err == nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// oneScript reports whether the letters of s come from one script, or from
// one of the combinations a language writes together (UTS 39's "highly
// restrictive" level): Latin with Han and Japanese kana, with Han and
// Bopomofo, or with Han and Hangul. Digits and punctuation (Common,
// Inherited) go with any script.
func oneScript(s string) bool {
	seen := map[string]bool{}
	for _, r := range s {
		if name := scriptOf(r); name != "" {
			seen[name] = true
		}
	}
	if len(seen) <= 1 {
		return true
	}
	for _, allowed := range [][]string{
		{"Latin", "Han", "Hiragana", "Katakana"},
		{"Latin", "Han", "Bopomofo"},
		{"Latin", "Han", "Hangul"},
	} {
		ok := true
		for name := range seen {
			if !slices.Contains(allowed, name) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// scriptOf is r's script, "" for Common and Inherited (shared by all).
func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return "Latin"
		}
		return ""
	}
	if unicode.In(r, unicode.Common, unicode.Inherited) {
		return ""
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}
