package providers

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// Sign in with Apple: https://developer.apple.com/documentation/signinwithapplerestapi
// Apple posts the callback as a form (response_mode=form_post, required when
// scopes are asked for); its token endpoint wants a client secret that is an
// ES256 JWT signed with the team's key; the account is in the ID token, and
// the user's name only in the `user` form field on first consent. Apple does
// not document PKCE, so none is sent; the nonce protects the ID token.
func newApple(c Apple, check *idTokenCheck, secret *appleSecret, d deps) Provider {
	p := newOAuth2("apple", OAuth2{
		ClientID: c.ClientID, Scope: c.Scope, AuthorizationURL: c.AuthorizationURL, TokenURL: c.TokenURL,
	}, oauth2.AuthStyleInParams, d)
	p.nonce = true
	p.authParams = []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("response_mode", "form_post")}
	p.clientSecret = secret.sign
	p.profile = func(ctx context.Context, tok *oauth2.Token, cb Callback, pending Pending) (Profile, error) {
		claims, err := check.fromTokenResponse(ctx, tok, pending.Nonce)
		if err != nil {
			return Profile{}, err
		}
		profile := claims.profile(standardClaims)
		profile.DisplayName = parseAppleUser(cb.User)
		if profile.DisplayName == "" {
			// hasura-auth names the user after the address when Apple
			// gives no name (every sign-in after the first).
			profile.DisplayName = profile.Email
		}
		return profile, nil
	}
	return p
}

// maxAppleUser bounds the `user` field read from the callback form.
const maxAppleUser = 4096

// parseAppleUser returns the name in Apple's `user` form field,
// {"name":{"firstName":"…","lastName":"…"},"email":"…"}, or "" when the
// field is absent or not that JSON. The address in it is ignored: the ID
// token's is the signed one.
func parseAppleUser(s string) string {
	if s == "" || len(s) > maxAppleUser {
		return ""
	}
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if json.Unmarshal([]byte(s), &u) != nil {
		return ""
	}
	return joinName(u.Name.FirstName, u.Name.LastName)
}

// appleSecretLifetime is how long each client secret is valid; one is made
// per token request, so it never outlives the server's use of it (Apple
// allows up to six months).
const appleSecretLifetime = 5 * time.Minute

// appleSecret makes client secrets for Apple's token endpoint.
type appleSecret struct {
	teamID, keyID, clientID string
	key                     *ecdsa.PrivateKey
	now                     func() time.Time
}

func (a *appleSecret) sign() (string, error) {
	now := a.now()
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{
		Issuer:    a.teamID,
		Subject:   a.clientID,
		Audience:  jwt.ClaimStrings{appleIssuer},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(appleSecretLifetime)),
	})
	t.Header["kid"] = a.keyID
	s, err := t.SignedString(a.key)
	if err != nil {
		return "", fmt.Errorf("sign the Apple client secret: %w", err)
	}
	return s, nil
}

// parseApplePrivateKey reads AUTH_PROVIDER_APPLE_PRIVATE_KEY as hasura-auth
// accepts it: PEM, PEM with its newlines written as \n, or base64 of the
// PEM. Errors never quote the key.
func parseApplePrivateKey(s string) (*ecdsa.PrivateKey, error) {
	text := strings.ReplaceAll(strings.TrimSpace(s), `\n`, "\n")
	if !strings.HasPrefix(text, "-----BEGIN") {
		decoded, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return nil, errors.New("neither PEM nor base64 of PEM")
		}
		text = string(decoded)
	}
	key, err := jwt.ParseECPrivateKeyFromPEM([]byte(text))
	if err != nil {
		return nil, errors.New("not an EC private key in PEM (PKCS#8 or SEC 1)")
	}
	if key.Curve != elliptic.P256() {
		return nil, errors.New("not a P-256 key")
	}
	return key, nil
}
