package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxAPIResponse bounds what is read from a provider's API; a profile is a
// few kilobytes.
const maxAPIResponse = 1 << 20

// errTooLarge: a provider's answer exceeds maxAPIResponse.
var errTooLarge = errors.New("response larger than 1 MiB")

// api reads a provider's JSON API with an access token.
type api struct {
	provider string
	client   *http.Client
}

// get fetches url with the bearer token and decodes the JSON answer into dst.
// header adds provider-specific headers (nil for none).
func (a api) get(ctx context.Context, url, accessToken string, header http.Header, dst any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return newError(a.provider, StageProfile, ErrBadResponse, fmt.Errorf("profile URL: %w", err))
	}
	req.Header.Set("Accept", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	return a.do(req, dst)
}

// do sends req and decodes a 2xx JSON answer into dst.
func (a api) do(req *http.Request, dst any) error {
	resp, err := a.client.Do(req)
	if err != nil {
		return newError(a.provider, StageProfile, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse+1))
	if err != nil {
		return newError(a.provider, StageProfile, ErrUnavailable, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(a.provider, resp.StatusCode, body)
	}
	if len(body) > maxAPIResponse {
		return newError(a.provider, StageProfile, ErrBadResponse, errTooLarge)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return newError(a.provider, StageProfile, ErrBadResponse, fmt.Errorf("decode %s: %w", req.URL.Path, err))
	}
	return nil
}

// statusError classifies a non-2xx answer from a provider's API: 5xx means
// unavailable, anything else is the provider refusing.
func statusError(provider string, status int, body []byte) *Error {
	e := &Error{Kind: ErrProvider, Stage: StageProfile, Provider: provider,
		Code: fmt.Sprintf("http_%d", status), Err: fmt.Errorf("status %d", status)}
	if status >= 500 {
		e.Kind = ErrUnavailable
		return e
	}
	// Many APIs answer {"error": "...", "error_description": "..."}; keep the
	// code when it is a plain string.
	var oe struct {
		Error            any    `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(body, &oe) == nil {
		if s, ok := oe.Error.(string); ok && s != "" {
			e.Code, e.Description = s, oe.ErrorDescription
		}
	}
	return e
}
