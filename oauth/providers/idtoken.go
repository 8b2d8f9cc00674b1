package providers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const (
	googleIssuer = "https://accounts.google.com"
	appleIssuer  = "https://appleid.apple.com"
)

// idTokenCheck verifies ID tokens of one issuer: signature against the
// issuer's JWKS, iss, aud (any of audiences), exp and nbf. The nonce is the
// caller's business: a redirect flow compares it with what it sent, the
// ID-token endpoint with the client's hashed nonce.
type idTokenCheck struct {
	provider  string
	audiences []string
	// verifier is built lazily for providers found by discovery.
	verifier func(ctx context.Context) (*oidc.IDTokenVerifier, error)
}

func staticIDTokenCheck(provider, issuer string, audiences []string, keys oidc.KeySet, d deps) *idTokenCheck {
	v := oidc.NewVerifier(issuer, keys, &oidc.Config{
		SkipClientIDCheck:    true, // audiences are checked against a list below
		SupportedSigningAlgs: []string{oidc.RS256},
		Now:                  d.now,
	})
	return &idTokenCheck{provider: provider, audiences: audiences,
		verifier: func(context.Context) (*oidc.IDTokenVerifier, error) { return v, nil }}
}

// verify returns the token and its claims; errors are plain (the caller
// knows the stage).
func (c *idTokenCheck) verify(ctx context.Context, raw string) (*oidc.IDToken, claimSet, error) {
	v, err := c.verifier(ctx)
	if err != nil {
		return nil, nil, err // an *Error from discovery, kept as it is
	}
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, nil, err
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(c.audiences, a) }) {
		return nil, nil, fmt.Errorf("audience %q is not accepted", tok.Audience)
	}
	var payload json.RawMessage
	if err := tok.Claims(&payload); err != nil {
		return nil, nil, fmt.Errorf("claims: %w", err)
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, nil, fmt.Errorf("claims: %w", err)
	}
	return tok, claims, nil
}

// fromTokenResponse checks the ID token the provider's token endpoint
// returned during a redirect flow: it must be there, and carry exactly the
// nonce sent.
func (c *idTokenCheck) fromTokenResponse(ctx context.Context, t *oauth2.Token, nonce string) (claimSet, error) {
	raw, _ := t.Extra("id_token").(string)
	if raw == "" {
		return nil, newError(c.provider, StageExchange, ErrBadResponse, errors.New("the token response has no id_token"))
	}
	tok, claims, err := c.verify(ctx, raw)
	var pe *Error
	switch {
	case errors.As(err, &pe):
		return nil, pe
	case err != nil:
		return nil, newError(c.provider, StageExchange, ErrBadResponse, fmt.Errorf("id token: %w", err))
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1 {
		return nil, newError(c.provider, StageExchange, ErrBadResponse, errors.New("id token: nonce does not match the request"))
	}
	return claims, nil
}

// IDTokenVerifier checks ID tokens that clients obtained from a provider
// themselves (native Sign in with Apple, Google Sign-In, or the generic
// OpenID provider) for POST /signin/idtoken and /link/idtoken.
type IDTokenVerifier struct {
	check  *idTokenCheck
	claims claimNames
}

// Verify checks rawIDToken — signature against the provider's JWKS (cached;
// an unknown key id refetches it at most once a minute), issuer, audience,
// expiry — and the nonce, and returns the token's profile.
//
// The nonce follows nhost's clients and hasura-auth: the client sends its raw
// nonce, and the token carries the hex SHA-256 of it (Apple's convention; the
// app gives the provider the hash). When the client sends a nonce, the token
// must carry its hash; a token carrying a nonce is refused without one.
// Neither having one is accepted, as in hasura-auth.
func (v *IDTokenVerifier) Verify(ctx context.Context, rawIDToken, nonce string) (Profile, error) {
	fail := func(err error) (Profile, error) {
		return Profile{}, newError(v.check.provider, StageIDToken, ErrInvalidIDToken, err)
	}
	tok, claims, err := v.check.verify(ctx, rawIDToken)
	var pe *Error
	switch {
	case errors.As(err, &pe):
		return Profile{}, pe
	case err != nil:
		return fail(err)
	}
	if tok.Nonce != "" || nonce != "" {
		sum := sha256.Sum256([]byte(nonce))
		if nonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(hex.EncodeToString(sum[:]))) != 1 {
			return fail(errors.New("nonce does not match"))
		}
	}
	p := claims.profile(v.claims)
	if p.ProviderUserID == "" {
		return fail(errors.New("the token names no account"))
	}
	return p, nil
}
