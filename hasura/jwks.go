package hasura

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// ParseJWKS turns a JWKS document into keys usable in VerifierConfig.Keys. Like Hasura,
// it rejects the whole set when any key cannot be parsed. Private keys are reduced to
// their public half; "oct" keys become []byte HMAC secrets (Hasura verifies with them too).
func ParseJWKS(data []byte) ([]any, error) {
	var set struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := decodeJSON(data, &set); err != nil {
		return nil, fmt.Errorf("hasura: JWKS: %v", err)
	}
	if set.Keys == nil {
		return nil, fmt.Errorf(`hasura: JWKS: missing "keys"`)
	}
	keys := make([]any, 0, len(*set.Keys))
	for i, raw := range *set.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("hasura: JWKS key %d: %v", i, err)
		}
		switch k := jwk.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey, []byte:
			keys = append(keys, k)
		case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
			keys = append(keys, jwk.Public().Key)
		default:
			return nil, fmt.Errorf("hasura: JWKS key %d: unsupported key type %T", i, jwk.Key)
		}
	}
	return keys, nil
}
