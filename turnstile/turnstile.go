// Package turnstile checks Cloudflare Turnstile tokens with Cloudflare's
// siteverify endpoint (AUTH_TURNSTILE_SECRET), on the routes hasura-auth
// protects: the sign-ups.
package turnstile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Header carries the widget's token; the nhost client sends it under this name.
const Header = "X-Cf-Turnstile-Response"

// DefaultVerifyURL is Cloudflare's siteverify endpoint.
const DefaultVerifyURL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"

var (
	// ErrMissing: the request carries no token.
	ErrMissing = errors.New("no turnstile token")
	// ErrFailed: Cloudflare says the token is not a passed challenge.
	ErrFailed = errors.New("turnstile challenge not passed")
	// ErrUnavailable: no verdict could be had from Cloudflare.
	ErrUnavailable = errors.New("turnstile verification unavailable")
)

// maxTokenLength is Cloudflare's documented maximum for a token.
const maxTokenLength = 2048

// Verifier asks siteverify about tokens.
type Verifier struct {
	secret string
	url    string
	http   *http.Client
}

// Options are the seams tests use.
type Options struct {
	HTTPClient *http.Client  // nil: one with Timeout
	Timeout    time.Duration // default 5 s
}

// New returns a Verifier for secret, asking verifyURL (DefaultVerifyURL in production).
func New(secret, verifyURL string, o Options) *Verifier {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: o.Timeout}
	}
	return &Verifier{secret: secret, url: verifyURL, http: o.HTTPClient}
}

// Protected says whether a route (path without AUTH_API_PREFIX) needs a
// token: hasura-auth's rule, every /signup/ route but their /verify and
// /callback steps (which follow a sign-up that passed already).
func Protected(path string) bool {
	return strings.HasPrefix(path, "/signup/") && !strings.HasSuffix(path, "/verify") && !strings.HasSuffix(path, "/callback")
}

type verdict struct {
	Success    bool     `json:"success"`
	ErrorCodes []string `json:"error-codes"`
}

// Verify checks token, from the client at remoteIP ("" when unknown). It
// returns nil for a passed challenge, an error wrapping ErrMissing,
// ErrFailed or ErrUnavailable otherwise.
func (v *Verifier) Verify(ctx context.Context, token, remoteIP string) error {
	token = strings.TrimSpace(token)
	if token == "" {
		return ErrMissing
	}
	if len(token) > maxTokenLength {
		return fmt.Errorf("%w: token longer than %d characters", ErrFailed, maxTokenLength)
	}
	form := url.Values{"secret": {v.secret}, "response": {token}}
	if remoteIP != "" {
		form.Set("remoteip", remoteIP)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.url, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := v.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: HTTP %d", ErrUnavailable, resp.StatusCode)
	}
	var out verdict
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out); err != nil {
		return fmt.Errorf("%w: unreadable answer: %v", ErrUnavailable, err)
	}
	if !out.Success {
		return fmt.Errorf("%w: %s", ErrFailed, strings.Join(out.ErrorCodes, ", "))
	}
	return nil
}
