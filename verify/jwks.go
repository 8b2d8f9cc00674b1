package verify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hasura-auth-go/auth/hasura"
)

// jwksCache fetches a key set and keeps it for as long as the server's
// Cache-Control max-age (or Expires) allows. An unknown kid triggers an early
// refetch, at most once per minRefetch. When the server cannot be reached the
// cached set stays in use: an outage of the auth server must not take every
// function down with it.
type jwksCache struct {
	url        string
	client     *http.Client
	now        func() time.Time
	minRefetch time.Duration
	defaultAge time.Duration

	mu        sync.Mutex
	keys      []any
	kids      map[string]bool
	gen       uint64
	fetchedAt time.Time
	expires   time.Time
}

func newJWKSCache(url string, o options) *jwksCache {
	return &jwksCache{url: url, client: o.client, now: o.now, minRefetch: o.minRefetch, defaultAge: o.defaultAge}
}

// get returns the keys and a generation number that changes with them.
func (c *jwksCache) get(ctx context.Context, kid string) ([]any, uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	fresh := c.keys != nil && now.Before(c.expires)
	if fresh && (kid == "" || c.kids[kid]) {
		return c.keys, c.gen, nil
	}
	if fresh && now.Sub(c.fetchedAt) < c.minRefetch {
		return c.keys, c.gen, nil // rate limit: random kids must not make us hammer the server
	}
	if err := c.fetch(ctx, now); err != nil {
		if c.keys == nil {
			return nil, 0, err
		}
		// Keep serving the cached set through an outage; try again later.
		c.fetchedAt, c.expires = now, now.Add(c.minRefetch)
	}
	return c.keys, c.gen, nil
}

func (c *jwksCache) fetch(ctx context.Context, now time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", c.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	keys, err := hasura.ParseJWKS(body)
	if err != nil {
		return err
	}
	var doc struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	_ = json.Unmarshal(body, &doc)
	kids := make(map[string]bool, len(doc.Keys))
	for _, k := range doc.Keys {
		kids[k.Kid] = true
	}
	c.keys, c.kids, c.gen, c.fetchedAt = keys, kids, c.gen+1, now
	c.expires = now.Add(cacheLifetime(resp.Header, now, c.defaultAge))
	return nil
}

// cacheLifetime reads max-age, else Expires, else the default.
func cacheLifetime(h http.Header, now time.Time, def time.Duration) time.Duration {
	for _, part := range strings.Split(h.Get("Cache-Control"), ",") {
		part = strings.TrimSpace(strings.ToLower(part))
		if part == "no-store" || part == "no-cache" {
			return 0
		}
		if v, ok := strings.CutPrefix(part, "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if e := h.Get("Expires"); e != "" {
		if t, err := http.ParseTime(e); err == nil {
			if d := t.Sub(now); d > 0 {
				return d
			}
			return 0
		}
	}
	return def
}

// tokenKID reads the kid from a JWT header without trusting anything else in it.
func tokenKID(token string) string {
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return ""
	}
	return h.Kid
}
