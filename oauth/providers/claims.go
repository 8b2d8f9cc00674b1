package providers

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// claimNames says which claims of an ID token or userinfo answer hold the
// profile's fields.
type claimNames struct {
	ID            string
	Email         string
	EmailVerified string
	Name          string
	Picture       string
	Locale        string
}

// standardClaims are OpenID Connect's names.
var standardClaims = claimNames{
	ID: "sub", Email: "email", EmailVerified: "email_verified",
	Name: "name", Picture: "picture", Locale: "locale",
}

// claimSet is a decoded ID token or userinfo answer, numbers kept exact.
type claimSet map[string]any

func decodeClaims(raw []byte) (claimSet, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var c claimSet
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	return c, nil
}

// str reads a claim as text: strings as they are, numbers in their JSON form
// (some providers send numeric account ids); anything else is empty.
func (c claimSet) str(name string) string {
	switch v := c[name].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// flag reads a boolean claim; "true" as a string counts too (Apple sent
// email_verified as a string for years). Anything else is false.
func (c claimSet) flag(name string) bool {
	switch v := c[name].(type) {
	case bool:
		return v
	case string:
		b, err := strconv.ParseBool(v)
		return err == nil && b
	}
	return false
}

// locale reads a locale claim: a string ("en-US") or LinkedIn's object
// ({"language": "en", "country": "US"}).
func (c claimSet) locale(name string) string {
	switch v := c[name].(type) {
	case string:
		return normaliseLocale(v)
	case map[string]any:
		if lang, ok := v["language"].(string); ok {
			return normaliseLocale(lang)
		}
	}
	return ""
}

// profile maps the claims to a Profile under the given names.
func (c claimSet) profile(n claimNames) Profile {
	p := Profile{
		ProviderUserID: c.str(n.ID),
		Email:          c.str(n.Email),
		DisplayName:    c.str(n.Name),
		AvatarURL:      c.str(n.Picture),
		Locale:         c.locale(n.Locale),
	}
	p.EmailVerified = p.Email != "" && c.flag(n.EmailVerified)
	return p
}

// normaliseLocale keeps the language of a locale tag ("pt_BR", "en-US",
// "fr") as two lower-case letters; anything else is empty.
func normaliseLocale(s string) string {
	lang, _, _ := strings.Cut(strings.ReplaceAll(s, "_", "-"), "-")
	if len(lang) != 2 {
		return ""
	}
	lang = strings.ToLower(lang)
	for _, r := range lang {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	return lang
}

// joinName joins given and family names with one space, skipping blanks.
func joinName(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, " ")
}
