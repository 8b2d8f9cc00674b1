// Package secretbox encrypts small secrets kept in the database (TOTP
// secrets, generated signing keys) under AUTH_ENCRYPTION_KEY with AES-256-GCM.
//
// A sealed value is text: "enc:v1:<key id>:" + base64url(nonce || ciphertext).
// The version names the format; the key id names the master key that sealed
// it, so a Box that holds the current key and the previous ones
// (AUTH_ENCRYPTION_KEY_PREVIOUS) opens values sealed before a key rotation and
// says they are stale. A value without the prefix is plaintext written before
// a key was configured (or by hasura-auth) and is still read. Base32 TOTP
// secrets and PEM keys never start with the prefix.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Prefix starts every value Seal returns.
const Prefix = "enc:v1:"

// KeySize is the key length in bytes (AES-256).
const KeySize = 32

var (
	// ErrNoKey: a sealed value is read without a key configured.
	ErrNoKey = errors.New("value is encrypted but AUTH_ENCRYPTION_KEY is not set")
	// ErrUnknownKey: a sealed value names a master key the Box does not hold.
	ErrUnknownKey = errors.New("value is encrypted under a master key that is not configured")
)

// ParseHexKey decodes AUTH_ENCRYPTION_KEY: 64 hex characters, 32 bytes. The
// error never quotes the value.
func ParseHexKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) != 2*KeySize {
		return nil, fmt.Errorf("must be %d hex characters (%d random bytes), got %d characters", 2*KeySize, KeySize, len(s))
	}
	key, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("must be hex (0-9, a-f)")
	}
	return key, nil
}

type masterKey struct {
	id   string
	aead cipher.AEAD
}

// Box seals under the current master key and opens under any of its keys. A
// nil *Box has no key: Seal returns the plaintext and Open accepts only
// plaintext, so callers need not branch on configuration.
type Box struct {
	keys []masterKey // keys[0] is current
}

// Keyring is another name for Box.
type Keyring = Box

// New returns a Box sealing under current and also opening values sealed
// under previous keys. An empty current key gives a nil Box.
func New(current []byte, previous ...[]byte) (*Box, error) {
	if len(current) == 0 {
		if len(previous) > 0 {
			return nil, errors.New("previous keys given without a current key")
		}
		return nil, nil
	}
	k := &Box{}
	seen := map[string]bool{}
	for i, raw := range append([][]byte{current}, previous...) {
		if len(raw) != KeySize {
			return nil, fmt.Errorf("key %d must be %d bytes, got %d", i+1, KeySize, len(raw))
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := KeyID(raw)
		if seen[id] {
			continue // the same key listed twice
		}
		seen[id] = true
		k.keys = append(k.keys, masterKey{id: id, aead: aead})
	}
	return k, nil
}

// KeyID names a master key in sealed values and logs: 8 hex characters of a
// domain-separated SHA-256, which says nothing usable about the key.
func KeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("hasura-auth-go secretbox key id\x00"), key...))
	return hex.EncodeToString(sum[:4])
}

// Enabled reports whether k encrypts.
func (k *Box) Enabled() bool { return k != nil }

// CurrentID is the id of the key Seal uses; "" without a key.
func (k *Box) CurrentID() string {
	if k == nil {
		return ""
	}
	return k.keys[0].id
}

// IsSealed reports whether s is in the sealed format.
func IsSealed(s string) bool { return strings.HasPrefix(s, Prefix) }

// SealedWith is the master key id a sealed value names; "" for plaintext.
func SealedWith(s string) string {
	if !IsSealed(s) {
		return ""
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(s, Prefix), ":")
	return id
}

// Seal encrypts plain under the current key. aad binds the ciphertext to its
// context (the owning row's id) so it cannot be copied to another row and
// opened there. Without a key it returns plain unchanged.
func (k *Box) Seal(plain, aad []byte) (string, error) {
	if k == nil {
		return string(plain), nil
	}
	cur := k.keys[0]
	nonce := make([]byte, cur.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("read nonce: %w", err)
	}
	out := cur.aead.Seal(nonce, nonce, plain, aad)
	return Prefix + cur.id + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal returned with the same aad; plaintext (no
// prefix) is returned as is.
func (k *Box) Open(stored string, aad []byte) ([]byte, error) {
	plain, _, err := k.OpenStale(stored, aad)
	return plain, err
}

// OpenStale is Open that also says whether the value should be sealed again:
// it is plaintext while a key is configured, or sealed under a previous key.
func (k *Box) OpenStale(stored string, aad []byte) (plain []byte, stale bool, err error) {
	if !IsSealed(stored) {
		return []byte(stored), k != nil, nil
	}
	if k == nil {
		return nil, false, ErrNoKey
	}
	id, body, ok := strings.Cut(strings.TrimPrefix(stored, Prefix), ":")
	if !ok {
		return nil, false, errors.New("sealed value is malformed")
	}
	for i, mk := range k.keys {
		if mk.id != id {
			continue
		}
		raw, err := base64.RawURLEncoding.DecodeString(body)
		n := mk.aead.NonceSize()
		if err != nil || len(raw) < n {
			return nil, false, errors.New("sealed value is malformed")
		}
		plain, err := mk.aead.Open(nil, raw[:n], raw[n:], aad)
		if err != nil {
			return nil, false, errors.New("sealed value does not open: tampered, or copied from another row")
		}
		return plain, i > 0, nil
	}
	return nil, false, ErrUnknownKey
}
