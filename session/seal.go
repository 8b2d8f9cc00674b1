package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// HashToken is how refresh tokens are stored: SHA-256 in the text form that
// hasura-auth's column holds ("\x" + hex), so sessions of an existing nhost
// database keep working.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return `\x` + hex.EncodeToString(sum[:])
}

const sealInfo = "hasura-auth-go refresh seal v1"

// sealKey derives an AES-256 key from a retired token: only whoever holds that
// token can open what was sealed under it, so the database never holds a
// usable token even while a rotation's result is kept for late callers.
func sealKey(retired string, sessionID []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, []byte(retired), sessionID, sealInfo, 32)
}

func seal(retired string, sessionID []byte, next string) ([]byte, error) {
	key, err := sealKey(retired, sessionID)
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, []byte(next), sessionID), nil
}

func open(retired string, sessionID []byte, sealed []byte) (string, error) {
	key, err := sealKey(retired, sessionID)
	if err != nil {
		return "", err
	}
	aead, err := newGCM(key)
	if err != nil {
		return "", err
	}
	if len(sealed) < aead.NonceSize() {
		return "", errors.New("sealed token too short")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], sessionID)
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
