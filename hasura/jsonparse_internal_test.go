package hasura

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// stdDecode is what the verifier did before parseJSON: encoding/json with
// UseNumber, one value, nothing after it.
func stdDecode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

// stdHasDuplicate walks data's tokens and reports an object repeating a key.
func stdHasDuplicate(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		obj       bool
		expectKey bool
		keys      map[string]bool
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].obj && stack[top].expectKey {
			if k, ok := tok.(string); ok {
				if stack[top].keys[k] {
					return true
				}
				stack[top].keys[k] = true
				stack[top].expectKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{obj: true, expectKey: true, keys: map[string]bool{}})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
			top--
		}
		// A value ended: the enclosing object expects a key next.
		if top >= 0 && stack[top].obj {
			stack[top].expectKey = true
		}
	}
}

func TestParseJSONMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `-1.5e+3`, `1E2`, `"x"`,
		` {"a" : [1, 2.0, "3", null, true, {"b":{}}] } `,
		`{"a":1,"a":2}`,
		`{"k":"\u00e9\ud83d\ude00\/\b\f\n\r\t\"\\"}`,
		`"\ud800"`, `"\udc00\ud800"`, `"\ud800\u0041"`, `"\ud800\uZZZZ"`,
		"\"\xff\xfe\"", "\"a\xe2\x82\"", "\"\x01\"",
		`01`, `1.`, `.5`, `1e`, `-`, `+1`, `[1,]`, `{"a":1,}`, `{"a"}`, `{1:2}`, `[1 2]`, `tru`, `nul`,
		`{"a":1} x`, `{} {}`, ``, ` `, `"unterminated`, `"\x"`, `"\u12"`,
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	}
	for _, c := range cases {
		compareWithStd(t, []byte(c))
	}
}

func TestParseJSONDuplicates(t *testing.T) {
	cases := map[string]bool{
		`{"a":1,"b":2}`:                 false,
		`{"a":1,"a":2}`:                 true,
		`{"a":{"x":1},"b":{"x":1}}`:     false,
		`{"a":[{"x":1,"x":2}]}`:         true,
		`{"a":1,"\u0061":2}`:            true,
		`[{"a":1},{"a":1}]`:             false,
		`{"https://h/c":{"r":1,"r":1}}`: true,
	}
	for in, dup := range cases {
		_, got, err := parseJSON([]byte(in))
		if got != dup || err != nil {
			t.Errorf("%s: duplicate %v, want %v (err %v)", in, got, dup, err)
		}
		if stdHasDuplicate([]byte(in)) != dup {
			t.Errorf("%s: the reference walker disagrees", in)
		}
	}
}

func compareWithStd(t *testing.T, data []byte) {
	t.Helper()
	want, wantErr := stdDecode(data)
	got, dup, err := parseJSON(data)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%q: parseJSON error %v, encoding/json error %v", data, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: parseJSON %#v, encoding/json %#v", data, got, want)
	}
	if err != nil {
		return
	}
	if dup != stdHasDuplicate(data) {
		t.Fatalf("%q: duplicate verdict %v, reference %v", data, dup, stdHasDuplicate(data))
	}
}

// FuzzParseJSON: parseJSON and encoding/json agree on every input, value
// for value, and on which inputs repeat a key.
func FuzzParseJSON(f *testing.F) {
	f.Add(`{"exp":1796135904,"https://hasura.io/jwt/claims":{"x-hasura-allowed-roles":["me","user"],"x-hasura-default-role":"user"},"iat":1.5e9,"sub":"x"}`)
	f.Add(`{"alg":"HS256","typ":"JWT"}`)
	f.Add(`{"a":"\ud83d\ude00\u00e9\n","a":[null,true,false,-0.1E-2]}`)
	f.Add("\"\xed\xa0\x80 \\ud800\\udc00\"")
	f.Fuzz(func(t *testing.T, s string) { compareWithStd(t, []byte(s)) })
}
