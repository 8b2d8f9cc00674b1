package webauthn

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/google/uuid"
)

// The user handle (user.id) of a user's credentials. hasura-auth sends the
// user's id as text in user.id; browsers and the nhost client read user.id
// as base64url, so what authenticators store, and give back as userHandle,
// is the base64url decoding of the 36-character id: 27 bytes. Our handle is
// those same bytes, so registration options look as hasura-auth's do, and
// keys registered there resolve here. Older clients stored the id's UTF-8
// text (36 bytes); a raw 16-byte uuid is accepted too.

// UserHandle returns the user handle of the user with this id.
func UserHandle(id uuid.UUID) []byte {
	b, err := base64.RawURLEncoding.DecodeString(id.String())
	if err != nil { // a uuid's text is hex digits and hyphens, all base64url
		panic("webauthn: uuid text is not base64url: " + err.Error())
	}
	return b
}

var errBadHandle = errors.New("user handle names no user id")

// userIDFromHandle reads the user id out of a user handle in any of the
// three forms above.
func userIDFromHandle(h []byte) (uuid.UUID, error) {
	switch len(h) {
	case 27:
		return canonicalID(base64.RawURLEncoding.EncodeToString(h))
	case 36:
		return canonicalID(string(h))
	case 16:
		return uuid.FromBytes(h)
	}
	return uuid.Nil, errBadHandle
}

// canonicalID accepts the 36-character hyphenated form only (uuid.Parse
// would also take braces and urn:uuid: prefixes of other lengths).
func canonicalID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || id.String() != strings.ToLower(s) {
		return uuid.Nil, errBadHandle
	}
	return id, nil
}
