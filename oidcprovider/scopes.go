package oidcprovider

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/hasura-auth-go/auth/apierr"
)

// Scopes, as nhost names them. graphql puts the user's x-hasura-* claims
// into the access token, so that Hasura accepts it for the user.
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopePhone         = "phone"
	ScopeOfflineAccess = "offline_access"
	ScopeGraphQL       = "graphql"
)

// SupportedScopes are the scopes a client may be allowed (the database
// refuses others).
var SupportedScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopePhone, ScopeOfflineAccess, ScopeGraphQL}

// claimsSupported are the claims ID tokens and userinfo may carry.
var claimsSupported = []string{"sub", "name", "email", "email_verified", "picture", "locale", "phone_number", "phone_number_verified"}

// parseScope splits a scope parameter (space-separated, RFC 6749 section
// 3.3) into distinct scopes, in order; "" is nil.
func parseScope(raw string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(raw, " ") {
		if s == "" {
			continue
		}
		for _, r := range s {
			// scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
			if r < 0x21 || r == 0x22 || r == 0x5c || r > 0x7e {
				return nil, apierr.Newf(apierr.OAuthInvalidScope, "scope holds a character RFC 6749 does not allow")
			}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// allowedScopes checks that every scope is supported and allowed for the client.
func allowedScopes(requested, allowed []string) error {
	for _, s := range requested {
		if !slices.Contains(SupportedScopes, s) {
			return apierr.Newf(apierr.OAuthInvalidScope, "Unknown scope "+quote(s))
		}
		if !slices.Contains(allowed, s) {
			return apierr.Newf(apierr.OAuthInvalidScope, "Scope "+quote(s)+" is not allowed for this client")
		}
	}
	return nil
}

// quote bounds and quotes a value of the request for an error description.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}

// hashToken is how codes and refresh tokens are stored: hex SHA-256, as
// nhost stores them, so its refresh tokens keep working here.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// newSecret is a fresh code or refresh token: 256 random bits, base64url.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
