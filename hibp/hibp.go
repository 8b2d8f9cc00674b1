// Package hibp asks Have I Been Pwned's Pwned Passwords range API whether a
// password is known to have leaked. Only the first five hex characters of
// the password's SHA-1 leave the process (k-anonymity): the service answers
// with every suffix under that prefix and the match is made here.
package hibp

import (
	"bufio"
	"context"
	"crypto/sha1" //nolint:gosec // the API is keyed by SHA-1; nothing here relies on its collision resistance
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultURL is the public Pwned Passwords API.
const DefaultURL = "https://api.pwnedpasswords.com"

// ErrUnavailable wraps every failure to get an answer: the service cannot be
// reached, times out, or answers something other than a range.
var ErrUnavailable = errors.New("pwned passwords service unavailable")

// Client queries a Pwned Passwords range API.
type Client struct {
	base string
	http *http.Client
}

// Options are the seams tests use.
type Options struct {
	HTTPClient *http.Client  // nil: one with Timeout
	Timeout    time.Duration // default 3 s: a sign-up waits for it
}

// New returns a client of the API at baseURL (DefaultURL in production).
func New(baseURL string, o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: o.Timeout}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), http: o.HTTPClient}
}

// maxRangeBytes bounds a range answer (real ones are about 30 KB, padded).
const maxRangeBytes = 4 << 20

// Pwned reports whether password appears in the breach corpus. An error
// (wrapping ErrUnavailable) means no answer was had; the caller decides
// whether to refuse the password then.
func (c *Client) Pwned(ctx context.Context, password string) (bool, error) {
	sum := sha1.Sum([]byte(password)) //nolint:gosec
	hash := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix, suffix := hash[:5], hash[5:]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/range/"+prefix, nil)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	// Padding makes every answer about the same size, so its length does not
	// tell an observer of the traffic which prefix was asked for.
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", "hasura-auth-go")
	resp, err := c.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%w: HTTP %d", ErrUnavailable, resp.StatusCode)
	}
	found := false
	sc := bufio.NewScanner(io.LimitReader(resp.Body, maxRangeBytes))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		s, count, ok := ParseLine(sc.Text())
		if !ok {
			return false, fmt.Errorf("%w: unexpected line in range answer", ErrUnavailable)
		}
		// Padding lines have a count of 0. Every line is compared, in
		// constant time, so the time taken does not depend on where (or
		// whether) the suffix is.
		if count > 0 && subtle.ConstantTimeCompare([]byte(s), []byte(suffix)) == 1 {
			found = true
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return found, nil
}

// ParseLine reads one line of a range answer, "<35 hex>:<count>", the
// suffix upper-cased. Blank lines are not lines of an answer.
func ParseLine(line string) (suffix string, count int, ok bool) {
	s, n, found := strings.Cut(strings.TrimSpace(line), ":")
	if !found || len(s) != 35 {
		return "", 0, false
	}
	if _, err := hex.DecodeString("0" + s); err != nil {
		return "", 0, false
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 0 {
		return "", 0, false
	}
	return strings.ToUpper(s), count, true
}
