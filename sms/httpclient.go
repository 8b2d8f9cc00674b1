package sms

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"
)

// maxAnswer bounds what is read of a provider's answer; ours are small.
const maxAnswer = 64 << 10

// apiClient posts to one provider with basic auth and a time limit on the
// whole exchange, body included.
type apiClient struct {
	provider string
	http     *http.Client
	user     string
	pass     string
}

func newAPIClient(provider, user, pass string, timeout time.Duration) *apiClient {
	return &apiClient{
		provider: provider,
		user:     user,
		pass:     pass,
		http: &http.Client{
			Timeout: timeout,
			// A redirect would be a misconfigured base URL; credentials are
			// not re-sent anywhere, the 3xx is reported instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// answer is a provider's HTTP answer, body cut at maxAnswer.
type answer struct {
	status int
	body   []byte
}

func (c *apiClient) post(ctx context.Context, url, contentType string, body []byte) (*answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, &ProviderError{Provider: c.provider, Kind: KindRejected, Err: err}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(c.user, c.pass)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(c.provider, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		pe := transportError(c.provider, err)
		pe.Status = resp.StatusCode
		return nil, pe
	}
	return &answer{status: resp.StatusCode, body: b}, nil
}

// failure classifies a non-2xx answer whose provider code said nothing
// more specific: 5xx and 429 are the provider's trouble; the rest (4xx, or
// a 3xx from a wrong base URL) are ours to fix.
func (c *apiClient) failure(a *answer, code string) *ProviderError {
	kind := KindRejected
	if a.status >= 500 || a.status == http.StatusTooManyRequests {
		kind = KindUnavailable
	}
	return &ProviderError{Provider: c.provider, Kind: kind, Status: a.status, Code: code}
}

func ok(status int) bool { return status >= 200 && status < 300 }
