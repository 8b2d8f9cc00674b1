package handlers

import (
	"encoding/base64"
	"errors"
	"strconv"
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

var errMalformedJSON = errors.New("malformed JSON")

// duplicateKeys scans one JSON text for an object that repeats a key;
// errDuplicateKey when one does. It is a byte scanner rather than
// json.Decoder.Token because it runs on every Bearer request; it only
// tracks structure, and leaves validating the JSON to the verifier.
func duplicateKeys(b []byte) error {
	type frame struct {
		obj       bool
		expectKey bool
		keys      []string
		set       map[string]bool // once an object has many keys
	}
	var stack []frame
	for i := 0; i < len(b); {
		switch b[i] {
		case '{':
			stack = append(stack, frame{obj: true, expectKey: true})
			i++
		case '[':
			stack = append(stack, frame{})
			i++
		case '}', ']':
			if len(stack) == 0 {
				return errMalformedJSON
			}
			stack = stack[:len(stack)-1]
			i++
		case ',', ':':
			if n := len(stack); n > 0 && stack[n-1].obj {
				stack[n-1].expectKey = b[i] == ','
			}
			i++
		case '"':
			j, escaped := i+1, false
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					escaped = true
					j++
				}
				j++
			}
			if j >= len(b) {
				return errMalformedJSON
			}
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].expectKey {
				key := string(b[i+1 : j])
				if escaped {
					var err error
					if key, err = strconv.Unquote(string(b[i : j+1])); err != nil {
						// JSON escapes Go cannot read (e.g. \/): compare as written.
						key = string(b[i+1 : j])
					}
				}
				f := &stack[n-1]
				if f.set == nil && len(f.keys) >= 16 {
					f.set = make(map[string]bool, 2*len(f.keys))
					for _, k := range f.keys {
						f.set[k] = true
					}
				}
				if f.set != nil {
					if f.set[key] {
						return errDuplicateKey
					}
					f.set[key] = true
				} else {
					for _, k := range f.keys {
						if k == key {
							return errDuplicateKey
						}
					}
					f.keys = append(f.keys, key)
				}
				f.expectKey = false
			}
			i = j + 1
		default:
			i++
		}
	}
	return nil
}
