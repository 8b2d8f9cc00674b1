// Package apierr defines the errors services return to handlers: an nhost
// error code with its HTTP status and message, and an internal cause that is
// logged but never sent.
package apierr

import (
	"errors"
	"net/http"
)

// Error is an API error. Cause is for logs only.
type Error struct {
	Status  int
	Code    string
	Message string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Cause.Error()
	}
	return e.Code
}

func (e *Error) Unwrap() error { return e.Cause }

// Codes as in nhost's contract; the table is the only place that pairs a code
// with its status and default message.
const (
	InvalidRequest                  = "invalid-request"
	EmailAlreadyVerified            = "email-already-verified"
	DefaultRoleMustBeInAllowedRoles = "default-role-must-be-in-allowed-roles"
	RoleNotAllowed                  = "role-not-allowed"
	RedirectToNotAllowed            = "redirectTo-not-allowed"
	LocaleNotAllowed                = "locale-not-allowed"
	PasswordTooShort                = "password-too-short"
	PasswordInHIBPDatabase          = "password-in-hibp-database"
	UserNotAnonymous                = "user-not-anonymous"
	InvalidEmailPassword            = "invalid-email-password"
	UnverifiedUser                  = "unverified-user"
	DisabledUser                    = "disabled-user"
	InvalidRefreshToken             = "invalid-refresh-token"
	InvalidPAT                      = "invalid-pat"
	InvalidTicket                   = "invalid-ticket"
	InvalidOTP                      = "invalid-otp" // email one-time code (account/passwordless.go)
	DisabledMFATOTP                 = "disabled-mfa-totp"
	NoTOTPSecret                    = "no-totp-secret"
	TOTPAlreadyActive               = "totp-already-active"
	InvalidTOTP                     = "invalid-totp"
	MFATypeNotFound                 = "mfa-type-not-found"
	ElevatedClaimRequired           = "elevated-claim-required"
	Unauthorized                    = "unauthorized"
	ForbiddenAnonymous              = "forbidden-anonymous"
	SignupDisabled                  = "signup-disabled"
	EmailAlreadyInUse               = "email-already-in-use"
	DisabledEndpoint                = "disabled-endpoint"
	RouteNotFound                   = "route-not-found"
	MethodNotAllowed                = "method-not-allowed"
	RequestTooLarge                 = "request-too-large"
	TooManyRequests                 = "too-many-requests" // rate limited (ratelimit/); sent with Retry-After
	ForbiddenOrigin                 = "forbidden-origin"  // cookie-authenticated call from an origin not allowed (handlers/cookie.go)
	InternalServerError             = "internal-server-error"
	ServiceUnavailable              = "service-unavailable"   // the database cannot be reached (unavailable.go)
	UserNotFound                    = "user-not-found"        // admin API: no user with that id
	TurnstileFailed                 = "turnstile-failed"      // AUTH_TURNSTILE_SECRET: no passed challenge (handlers/turnstile.go)
	CannotSendSMS                   = "cannot-send-sms"       // the SMS provider refused the number (smsauth/)
	SMSProviderFailed               = "sms-provider-failed"   // the SMS provider is down, slow or refused our request (smsauth/)
	PATLifetimeExceeded             = "pat-lifetime-exceeded" // POST /pat: expiresAt beyond AUTH_PAT_MAX_LIFETIME (session/pat.go)
)

// Sign-in with a provider (social/): hasura-auth's codes, the contract's
// spelling ("echange") included.
const (
	InvalidState             = "invalid-state"              // unknown, used or expired request, or another browser's
	OAuthTokenExchangeFailed = "oauth-token-echange-failed" // the provider refused or failed the code exchange
	OAuthProfileFetchFailed  = "oauth-profile-fetch-failed" // the account could not be read
	OAuthProviderError       = "oauth-provider-error"       // the provider sent an error back (denied consent, …)
	// ProviderAccountAlreadyLinked: connecting a provider account that is
	// linked to another user (nhost's current contract).
	ProviderAccountAlreadyLinked = "provider-account-already-linked"
)

// OAuth 2.0 error codes (RFC 6749 section 5.2, RFC 6750, RFC 8707, OpenID
// Connect), answered as {error, error_description} by the OpenID Connect
// provider's routes (oidcprovider/, handlers/oauth2.go).
const (
	OAuthInvalidRequest          = "invalid_request"
	OAuthInvalidClient           = "invalid_client"
	OAuthInvalidGrant            = "invalid_grant"
	OAuthUnauthorizedClient      = "unauthorized_client"
	OAuthUnsupportedGrantType    = "unsupported_grant_type"
	OAuthUnsupportedResponseType = "unsupported_response_type"
	OAuthInvalidScope            = "invalid_scope"
	OAuthInvalidTarget           = "invalid_target"
	OAuthInvalidToken            = "invalid_token"
	OAuthInsufficientScope       = "insufficient_scope"
	OAuthRequestNotSupported     = "request_not_supported"
	OAuthRequestURINotSupported  = "request_uri_not_supported"
)

type entry struct {
	status  int
	message string
}

var table = map[string]entry{
	InvalidRequest:                  {http.StatusBadRequest, "The request payload is incorrect"},
	EmailAlreadyVerified:            {http.StatusBadRequest, "User's email is already verified"},
	DefaultRoleMustBeInAllowedRoles: {http.StatusBadRequest, "Default role must be in allowed roles"},
	RoleNotAllowed:                  {http.StatusBadRequest, "Role not allowed"},
	RedirectToNotAllowed:            {http.StatusBadRequest, "The value of \"options.redirectTo\" is not allowed."},
	LocaleNotAllowed:                {http.StatusBadRequest, "Locale not allowed"},
	PasswordTooShort:                {http.StatusBadRequest, "Password is too short"},
	PasswordInHIBPDatabase:          {http.StatusBadRequest, "Password is in HIBP database"},
	UserNotAnonymous:                {http.StatusBadRequest, "Logged in user is not anonymous"},
	InvalidEmailPassword:            {http.StatusUnauthorized, "Incorrect email or password"},
	UnverifiedUser:                  {http.StatusUnauthorized, "Email is not verified"},
	DisabledUser:                    {http.StatusUnauthorized, "User is disabled"},
	InvalidRefreshToken:             {http.StatusUnauthorized, "Invalid or expired refresh token"},
	InvalidPAT:                      {http.StatusUnauthorized, "Invalid or expired personal access token"},
	InvalidTicket:                   {http.StatusUnauthorized, "Invalid ticket"},
	InvalidOTP:                      {http.StatusBadRequest, "Invalid or expired one-time code"},
	DisabledMFATOTP:                 {http.StatusUnauthorized, "User does not have TOTP MFA enabled"},
	NoTOTPSecret:                    {http.StatusBadRequest, "User does not have a TOTP secret"},
	TOTPAlreadyActive:               {http.StatusBadRequest, "TOTP MFA is already active"},
	InvalidTOTP:                     {http.StatusUnauthorized, "Invalid TOTP code"},
	MFATypeNotFound:                 {http.StatusBadRequest, "MFA type not found"},
	ElevatedClaimRequired:           {http.StatusForbidden, "Elevated claim is required"},
	Unauthorized:                    {http.StatusUnauthorized, "Authentication required: send a valid access token as Authorization: Bearer <token>"},
	ForbiddenAnonymous:              {http.StatusForbidden, "Forbidden, user is anonymous."},
	SignupDisabled:                  {http.StatusForbidden, "Sign up is disabled."},
	EmailAlreadyInUse:               {http.StatusConflict, "Email already in use"},
	DisabledEndpoint:                {http.StatusConflict, "This endpoint is disabled"},
	RouteNotFound:                   {http.StatusNotFound, "Route not found"},
	MethodNotAllowed:                {http.StatusMethodNotAllowed, "Method not allowed"},
	RequestTooLarge:                 {http.StatusRequestEntityTooLarge, "The request body is too large"},
	TooManyRequests:                 {http.StatusTooManyRequests, "Too many requests; retry after the number of seconds in Retry-After"},
	ForbiddenOrigin:                 {http.StatusForbidden, "Requests authenticated by the refresh token cookie must come from an allowed Origin or carry X-Requested-With"},
	InternalServerError:             {http.StatusInternalServerError, "Internal server error"},
	ServiceUnavailable:              {http.StatusServiceUnavailable, "The service is temporarily unavailable; try again shortly"},
	UserNotFound:                    {http.StatusNotFound, "User not found"},
	TurnstileFailed:                 {http.StatusForbidden, "A passed Cloudflare Turnstile challenge is required: send its token in the X-Cf-Turnstile-Response header"},
	CannotSendSMS:                   {http.StatusBadRequest, "Cannot send an SMS to this phone number; check that it is correct"},
	SMSProviderFailed:               {http.StatusBadGateway, "The SMS provider could not be reached; try again shortly"},
	PATLifetimeExceeded:             {http.StatusBadRequest, "The personal access token would live longer than allowed (AUTH_PAT_MAX_LIFETIME)"},
	InvalidState:                    {http.StatusBadRequest, "The sign-in request is unknown, expired, already used or from another browser; start again"},
	OAuthTokenExchangeFailed:        {http.StatusBadRequest, "The provider did not accept the sign-in"},
	OAuthProfileFetchFailed:         {http.StatusBadRequest, "The account could not be read from the provider"},
	OAuthProviderError:              {http.StatusBadRequest, "The provider returned an error"},
	ProviderAccountAlreadyLinked:    {http.StatusBadRequest, "This provider account is already linked to a user"},

	OAuthInvalidRequest:          {http.StatusBadRequest, "The request is missing a parameter, repeats one, or has an invalid value"},
	OAuthInvalidClient:           {http.StatusUnauthorized, "Client authentication failed"},
	OAuthInvalidGrant:            {http.StatusBadRequest, "The authorization code or refresh token is invalid, expired, revoked or was issued to another client"},
	OAuthUnauthorizedClient:      {http.StatusBadRequest, "The client may not use this grant"},
	OAuthUnsupportedGrantType:    {http.StatusBadRequest, "grant_type must be authorization_code or refresh_token"},
	OAuthUnsupportedResponseType: {http.StatusBadRequest, "response_type must be code"},
	OAuthInvalidScope:            {http.StatusBadRequest, "A requested scope is unknown or not allowed for this client"},
	OAuthInvalidTarget:           {http.StatusBadRequest, "resource must be an absolute URI without a fragment"},
	OAuthInvalidToken:            {http.StatusUnauthorized, "The access token is missing, invalid, expired or revoked"},
	OAuthInsufficientScope:       {http.StatusForbidden, "The access token lacks the scope this endpoint needs"},
	OAuthRequestNotSupported:     {http.StatusBadRequest, "Request objects are not supported"},
	OAuthRequestURINotSupported:  {http.StatusBadRequest, "request_uri is not supported"},
}

// New returns the error for code with its default message.
func New(code string) *Error {
	e, ok := table[code]
	if !ok {
		return &Error{Status: http.StatusInternalServerError, Code: InternalServerError, Message: table[InternalServerError].message, Cause: errors.New("unknown error code " + code)}
	}
	return &Error{Status: e.status, Code: code, Message: e.message}
}

// Newf returns the error for code with a message naming what was wrong.
func Newf(code, message string) *Error {
	e := New(code)
	e.Message = message
	return e
}

// Invalid is a 400 invalid-request that says which input was wrong.
func Invalid(message string) *Error { return Newf(InvalidRequest, message) }

// Internal hides cause from the client and keeps it for the log.
func Internal(cause error) *Error {
	e := New(InternalServerError)
	e.Cause = cause
	return e
}

// concealed lists codes that tell a caller whether an account exists.
var concealed = map[string]bool{
	InvalidEmailPassword: true,
	UnverifiedUser:       true,
	DisabledUser:         true,
	EmailAlreadyInUse:    true,
	EmailAlreadyVerified: true,
	UserNotAnonymous:     true,
}

// Concealable reports whether code is one of those Conceal hides.
func Concealable(code string) bool { return concealed[code] }

// Conceal turns account-revealing errors into a plain invalid-request.
func Conceal(e *Error) *Error {
	if !concealed[e.Code] {
		return e
	}
	return &Error{Status: http.StatusBadRequest, Code: InvalidRequest, Message: table[InvalidRequest].message, Cause: e}
}

// As extracts an *Error, or wraps err as an internal error.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if Unavailable(err) {
		u := New(ServiceUnavailable)
		u.Cause = err
		return u
	}
	return Internal(err)
}
