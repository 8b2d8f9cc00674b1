package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// signingAlgs are the asymmetric algorithms an ID token may be parsed with;
// each verifier narrows them further. "none" and the HMAC algorithms are
// absent, so neither an unsigned token nor one "signed" with a public key as
// an HMAC secret gets past parsing.
var signingAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

const (
	// keyRefetchInterval is the least time between two fetches of a JWKS,
	// so tokens naming unknown key ids cannot make us hammer the provider.
	keyRefetchInterval = time.Minute
	// keyMaxAge: cached keys older than this are refetched on next use
	// (and kept if that fails), so a key the provider withdrew goes away.
	keyMaxAge = 6 * time.Hour
)

// errUnknownKey: no key in the provider's JWKS has the token's key id.
var errUnknownKey = errors.New("no key with the token's key id")

// keySet is a provider's JSON Web Key Set, fetched on first use and cached.
// It implements go-oidc's KeySet, and go-jose verifies the signature.
type keySet struct {
	url      string
	client   *http.Client
	now      func() time.Time
	interval time.Duration

	mu        sync.Mutex
	keys      []jose.JSONWebKey
	fetchedAt time.Time // last successful fetch
	triedAt   time.Time // last attempt
}

func newKeySet(url string, d deps) *keySet {
	return &keySet{url: url, client: d.client, now: d.now, interval: d.keyRefetch}
}

// VerifySignature returns the payload of jwt when one of the provider's keys
// verifies its signature.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSigned(jwt, signingAlgs)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("exactly one signature is required")
	}
	header := jws.Signatures[0].Header
	keys, err := k.keysFor(ctx, header.KeyID)
	if err != nil {
		return nil, err
	}
	for _, key := range keys {
		if key.Algorithm != "" && key.Algorithm != header.Algorithm {
			continue
		}
		if payload, err := jws.Verify(&key); err == nil {
			return payload, nil
		}
	}
	return nil, errors.New("signature does not verify")
}

// keysFor returns the cached keys that may have signed a token with key id
// kid, fetching the set first when it is unknown, stale, or lacks kid — but
// never twice within the refetch interval.
func (k *keySet) keysFor(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	match := matchingKeys(k.keys, kid)
	stale := k.fetchedAt.IsZero() || now.Sub(k.fetchedAt) >= keyMaxAge
	if (len(match) == 0 || stale) && (k.triedAt.IsZero() || now.Sub(k.triedAt) >= k.interval) {
		k.triedAt = now
		keys, err := k.fetch(ctx)
		switch {
		case err == nil:
			k.keys, k.fetchedAt = keys, now
			match = matchingKeys(keys, kid)
		case len(match) == 0:
			return nil, fmt.Errorf("fetch keys: %w", err)
		}
	}
	if len(match) == 0 {
		return nil, errUnknownKey
	}
	return match, nil
}

// matchingKeys are the signing keys with id kid (all of them when the token
// names none).
func matchingKeys(keys []jose.JSONWebKey, kid string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, key := range keys {
		if (kid == "" || key.KeyID == kid) && (key.Use == "" || key.Use == "sig") {
			out = append(out, key)
		}
	}
	return out
}

// fetch downloads the key set. Keys this package cannot use (encryption
// keys, unknown types) are skipped rather than failing the whole set.
func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	if len(body) > maxAPIResponse {
		return nil, errTooLarge
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if key.UnmarshalJSON(raw) != nil || !key.Valid() || !key.IsPublic() {
			continue
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, errors.New("the key set holds no usable public key")
	}
	return keys, nil
}
