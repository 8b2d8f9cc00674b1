package hasura

import (
	"errors"
	"strconv"
)

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
