package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	"golang.org/x/oauth2"
)

// The kinds of failure. Every error this package returns from AuthRequest,
// Complete and IDTokenVerifier.Verify is an *Error whose Kind is one of these,
// so errors.Is(err, ErrDenied) and the like work.
var (
	// ErrDenied: the user declined consent at the provider.
	ErrDenied = errors.New("the user declined consent")
	// ErrProvider: the provider answered with an error of its own (an OAuth
	// error code in the callback or from its token endpoint, or a 4xx from
	// its API).
	ErrProvider = errors.New("the provider returned an error")
	// ErrUnavailable: the provider could not be reached, timed out or
	// answered with a 5xx.
	ErrUnavailable = errors.New("the provider is unavailable")
	// ErrBadResponse: the provider answered something this package cannot
	// use (malformed JSON, a missing account id, an ID token that fails
	// verification after a code exchange).
	ErrBadResponse = errors.New("the provider's answer is unusable")
	// ErrBadCallback: the callback lacks its code or verifier, or does not
	// belong to the pending request.
	ErrBadCallback = errors.New("the callback does not match the request")
	// ErrInvalidIDToken: an ID token given to IDTokenVerifier.Verify is not
	// acceptable (signature, issuer, audience, expiry or nonce).
	ErrInvalidIDToken = errors.New("the ID token is not valid")
)

// Stage says where a failure happened, for choosing the flow's error code
// (hasura-auth answers oauth-provider-error for the callback stage,
// oauth-token-echange-failed for the exchange, oauth-profile-fetch-failed for
// the profile).
type Stage string

// The stages of a sign-in.
const (
	StageAuthorize Stage = "authorize" // building the authorization URL (OAuth 1.0a request token)
	StageCallback  Stage = "callback"  // the provider's answer in the browser redirect
	StageExchange  Stage = "exchange"  // code or verifier for tokens
	StageProfile   Stage = "profile"   // reading the account
	StageIDToken   Stage = "idtoken"   // verifying an ID token given by a client
)

// Error is a failure at a provider. Code and Description are the provider's
// own OAuth error code and text when it sent them; they hold no secrets and
// may be passed on to the client. Err is the cause, for logs.
type Error struct {
	Kind        error
	Stage       Stage
	Provider    string
	Code        string
	Description string
	Err         error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %s: %v", e.Provider, e.Stage, e.Kind)
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap exposes the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func newError(provider string, stage Stage, kind error, cause error) *Error {
	return &Error{Kind: kind, Stage: stage, Provider: provider, Err: cause}
}

// callbackError turns an error the provider put in the callback into an
// *Error; nil when there is none.
func callbackError(provider string, cb Callback) error {
	switch {
	case cb.Denied != "":
		// OAuth 1.0a: Twitter sends denied=<request token> when the user cancels.
		return &Error{Kind: ErrDenied, Stage: StageCallback, Provider: provider, Code: "access_denied"}
	case cb.Error == "":
		return nil
	}
	kind := ErrProvider
	switch cb.Error {
	case "access_denied", "user_cancelled_authorize": // the second is Apple's
		kind = ErrDenied
	}
	return &Error{Kind: kind, Stage: StageCallback, Provider: provider, Code: cb.Error, Description: cb.ErrorDescription}
}

// exchangeError classifies a failed token request made by x/oauth2.
func exchangeError(provider string, err error) *Error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e := &Error{Kind: ErrProvider, Stage: StageExchange, Provider: provider,
			Code: re.ErrorCode, Description: re.ErrorDescription, Err: err}
		if re.Response != nil && re.Response.StatusCode >= 500 {
			e.Kind = ErrUnavailable
		} else if re.ErrorCode == "" {
			e.Code = fmt.Sprintf("http_%d", statusOf(re))
		}
		return e
	}
	return newError(provider, StageExchange, transportKind(err), err)
}

func statusOf(re *oauth2.RetrieveError) int {
	if re.Response == nil {
		return 0
	}
	return re.Response.StatusCode
}

// transportKind tells an unreachable provider from an unusable answer.
func transportKind(err error) error {
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return ErrUnavailable
	}
	return ErrBadResponse
}
