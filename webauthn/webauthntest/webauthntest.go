// Package webauthntest is a software security key for tests (package
// virtualwebauthn underneath): it answers the options the WebAuthn routes
// send as a browser holding the key would. Test code only.
package webauthntest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/descope/virtualwebauthn"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Key is one credential on one authenticator, used from one page.
type Key struct {
	// RP is where the page runs: Origin is what the browser reports, ID the
	// relying party the authenticator signs for.
	RP   virtualwebauthn.RelyingParty
	Auth virtualwebauthn.Authenticator
	Cred virtualwebauthn.Credential
}

// NewKey returns a key used from origin for the relying party rpID.
func NewKey(rpID, origin string) *Key {
	k := &Key{RP: virtualwebauthn.RelyingParty{ID: rpID, Name: rpID, Origin: origin},
		Auth: virtualwebauthn.NewAuthenticator(), Cred: NewCredential()}
	k.Auth.AddCredential(k.Cred)
	return k
}

// NewCredential makes an EC2 credential whose COSE key a real authenticator
// could have made: the software authenticator drops leading zero bytes of
// the coordinates (one key in 128), which go-webauthn rightly refuses.
func NewCredential() virtualwebauthn.Credential {
	for {
		c := virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2)
		if _, err := webauthncose.ParsePublicKey(c.Key.AttestationData()); err == nil {
			return c
		}
	}
}

// ID is the credential's id as the routes store it: unpadded base64url.
func (k *Key) ID() string { return base64.RawURLEncoding.EncodeToString(k.Cred.ID) }

// Create answers creation options (the JSON of POST /signup/webauthn or
// /user/webauthn/add) with the registration response: the "credential" of
// the verify request.
func (k *Key) Create(options []byte) (json.RawMessage, error) {
	return Create(k.RP, &k.Auth, k.Cred, options)
}

// Get answers request options (POST /signin/webauthn, /elevate/webauthn)
// with the assertion: the "credential" of the verify request.
func (k *Key) Get(options []byte) (json.RawMessage, error) {
	return Get(k.RP, k.Auth, k.Cred, options)
}

// Create answers creation options with cred on auth, which keeps the user
// handle (user.id read as base64url, as browsers read it) for assertions.
func Create(rp virtualwebauthn.RelyingParty, auth *virtualwebauthn.Authenticator, cred virtualwebauthn.Credential, options []byte) (json.RawMessage, error) {
	parsed, err := virtualwebauthn.ParseAttestationOptions(string(options))
	if err != nil {
		return nil, fmt.Errorf("creation options: %w", err)
	}
	auth.Options.UserHandle = []byte(parsed.UserID)
	return json.RawMessage(virtualwebauthn.CreateAttestationResponse(rp, *auth, cred, *parsed)), nil
}

// Get answers request options with cred on auth.
func Get(rp virtualwebauthn.RelyingParty, auth virtualwebauthn.Authenticator, cred virtualwebauthn.Credential, options []byte) (json.RawMessage, error) {
	parsed, err := virtualwebauthn.ParseAssertionOptions(string(options))
	if err != nil {
		return nil, fmt.Errorf("request options: %w", err)
	}
	return json.RawMessage(virtualwebauthn.CreateAssertionResponse(rp, auth, cred, *parsed)), nil
}
