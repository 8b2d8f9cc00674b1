package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/hasura-auth-go/auth/hasura"
)

// rejectDuplicateKeys refuses a token whose header or claims repeat a key at
// any depth. encoding/json (and Hasura's aeson) keep the last value, but
// other readers keep the first: a token that says two things must mean
// neither. Shape errors are left to the verifier, which reports them.
func rejectDuplicateKeys(raw string) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil
	}
	for _, p := range parts[:2] {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return nil
		}
		if errors.Is(duplicateKeys(b), errDuplicateKey) {
			return &hasura.Error{Code: hasura.CodeInvalidJWT, Message: "Could not verify JWT: JWTClaimsSetDecodeError \"duplicate key\""}
		}
	}
	return nil
}

var errDuplicateKey = errors.New("duplicate key")

// duplicateKeys walks one JSON value; errDuplicateKey when an object
// repeats a key, another error when it is not JSON.
func duplicateKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		keys      map[string]bool
		expectKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				if top != nil && top.keys != nil {
					top.expectKey = true // this object is the value of top's key
				}
				stack = append(stack, &frame{keys: map[string]bool{}, expectKey: true})
				continue
			case '[':
				if top != nil && top.keys != nil {
					top.expectKey = true
				}
				stack = append(stack, &frame{})
				continue
			default: // '}' or ']'
				stack = stack[:len(stack)-1]
				continue
			}
		case string:
			if top != nil && top.keys != nil && top.expectKey {
				if top.keys[v] {
					return errDuplicateKey
				}
				top.keys[v] = true
				top.expectKey = false
				continue
			}
		}
		if top != nil && top.keys != nil {
			top.expectKey = true // a scalar value: the next token is a key
		}
	}
}
