package hasura

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// pathElem is one step of the JSONPath subset Hasura accepts: a key or an array index.
type pathElem struct {
	key     string
	index   int
	isIndex bool
}

type jsonPath []pathElem

// parseJSONPath accepts the same grammar as Hasura's claims paths: "$" alone, or an
// optional "$" followed by one or more of `.name`, `name`, `[42]`, `['key']`, `["key"]`.
func parseJSONPath(s string) (jsonPath, error) {
	if s == "$" {
		return jsonPath{}, nil
	}
	fail := errors.New(s + ". Accept letters, digits, underscore (_) or hyphen (-) only" +
		". Use single quotes enclosed in bracket (['...']) if there is any special character")
	rest := strings.TrimPrefix(s, "$")
	var path jsonPath
	for rest != "" {
		el, n, ok := parsePathElem(rest)
		if !ok {
			return nil, fail
		}
		path = append(path, el)
		rest = rest[n:]
	}
	if len(path) == 0 {
		return nil, fail
	}
	return path, nil
}

// parsePathElem parses one element at the start of s and returns how many bytes it used.
func parsePathElem(s string) (pathElem, int, bool) {
	i := 0
	if strings.HasPrefix(s, ".") {
		i = 1
	}
	if i < len(s) && s[i] == '[' {
		return parseBracket(s, i+1)
	}
	// A bare name: letter or underscore first, then letters, digits, '-' or '_'.
	start := i
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		first := i == start
		if !(unicode.IsLetter(r) || r == '_' || (!first && (r == '-' || ('0' <= r && r <= '9')))) {
			break
		}
		i += size
	}
	if i == start {
		return pathElem{}, 0, false
	}
	return pathElem{key: s[start:i]}, i, true
}

func parseBracket(s string, i int) (pathElem, int, bool) {
	if i >= len(s) {
		return pathElem{}, 0, false
	}
	switch c := s[i]; {
	case '0' <= c && c <= '9':
		j := i
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(s[i:j])
		if err != nil || j >= len(s) || s[j] != ']' {
			return pathElem{}, 0, false
		}
		return pathElem{index: n, isIndex: true}, j + 1, true
	case c == '\'' || c == '"':
		var b strings.Builder
		j := i + 1
		for j < len(s) && s[j] != c {
			if s[j] == '\\' {
				j++
				if j >= len(s) {
					return pathElem{}, 0, false
				}
			}
			r, size := utf8.DecodeRuneInString(s[j:])
			b.WriteRune(r)
			j += size
		}
		if j+1 >= len(s) || s[j] != c || s[j+1] != ']' {
			return pathElem{}, 0, false
		}
		return pathElem{key: b.String()}, j + 2, true
	}
	return pathElem{}, 0, false
}

// String renders the path the way Hasura prints it in error messages.
func (p jsonPath) String() string {
	var b strings.Builder
	b.WriteString("$")
	for _, el := range p {
		switch {
		case el.isIndex:
			b.WriteString("[" + strconv.Itoa(el.index) + "]")
		case isPlainName(el.key):
			b.WriteString("." + el.key)
		default:
			b.WriteString("['" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(el.key) + "']")
		}
	}
	return b.String()
}

func isPlainName(s string) bool {
	el, n, ok := parsePathElem(s)
	return ok && n == len(s) && !el.isIndex
}

// lookup follows the path through decoded JSON; a missing key or index is "not found".
func (p jsonPath) lookup(v any) (any, bool) {
	for _, el := range p {
		if el.isIndex {
			arr, ok := v.([]any)
			if !ok || el.index < 0 || el.index >= len(arr) {
				return nil, false
			}
			v = arr[el.index]
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[el.key]; !ok {
			return nil, false
		}
	}
	return v, true
}
