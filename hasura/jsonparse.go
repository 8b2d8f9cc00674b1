package hasura

import (
	"encoding/json"
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// parseJSON decodes exactly one JSON text (surrounding whitespace allowed)
// into the values encoding/json gives an `any` with UseNumber: map[string]any,
// []any, string, json.Number, bool and nil, with the same verdicts (invalid
// UTF-8 and lone surrogates become U+FFFD, a repeated key keeps its last
// value, nesting is bounded as encoding/json bounds it). dup reports an
// object that repeats a key at any depth, found in the same pass.
//
// It exists because every Bearer request decodes a JWT header and payload:
// encoding/json's reflection and buffering were a quarter of the CPU of
// POST /token/verify. FuzzParseJSON checks it against encoding/json.
func parseJSON(data []byte) (v any, dup bool, err error) {
	return parseJSONString(string(data))
}

// parseJSONString is parseJSON over a string. The strings it returns are
// slices of data (unless they hold escapes), so a token's claims cost one
// allocation for their text, not one per key and value.
func parseJSONString(data string) (v any, dup bool, err error) {
	p := jsonParser{data: data}
	p.skipSpace()
	if v, err = p.value(0); err != nil {
		return nil, false, err
	}
	p.skipSpace()
	if p.i != len(p.data) {
		return nil, false, errTrailingData
	}
	return v, p.dup, nil
}

var (
	errTrailingData = errors.New("trailing data after JSON value")
	errSyntax       = errors.New("invalid JSON")
	errTooDeep      = errors.New("JSON nested too deeply")
)

// maxJSONDepth is encoding/json's limit on nesting.
const maxJSONDepth = 10000

type jsonParser struct {
	data string
	i    int
	dup  bool   // an object repeated a key
	buf  []byte // scratch for strings with escapes
}

func (p *jsonParser) skipSpace() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, error) {
	if p.i >= len(p.data) {
		return nil, errSyntax
	}
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		return p.str()
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, errSyntax
}

func (p *jsonParser) literal(word string) error {
	if len(p.data)-p.i < len(word) || p.data[p.i:p.i+len(word)] != word {
		return errSyntax
	}
	p.i += len(word)
	return nil
}

func (p *jsonParser) object(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errTooDeep
	}
	p.i++ // {
	m := make(map[string]any, 8)
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		return m, nil
	}
	for {
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return nil, errSyntax
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return nil, errSyntax
		}
		p.i++
		p.skipSpace()
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		if _, seen := m[k]; seen {
			p.dup = true
		}
		m[k] = v
		if done, err := p.next('}'); done || err != nil {
			return m, err
		}
	}
}

func (p *jsonParser) array(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errTooDeep
	}
	p.i++ // [
	a := []any{}
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		return a, nil
	}
	for {
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		if done, err := p.next(']'); done || err != nil {
			return a, err
		}
	}
}

// next reads what follows a member or element: ',' (another comes) or
// closing (the object or array ends).
func (p *jsonParser) next(closing byte) (done bool, err error) {
	p.skipSpace()
	if p.i >= len(p.data) {
		return false, errSyntax
	}
	switch p.data[p.i] {
	case ',':
		p.i++
		p.skipSpace()
		return false, nil
	case closing:
		p.i++
		return true, nil
	}
	return false, errSyntax
}

// number checks the JSON grammar -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? and
// keeps the text, as json.Number does.
func (p *jsonParser) number() (any, error) {
	start := p.i
	d := p.data
	if p.i < len(d) && d[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(d) && d[p.i] == '0':
		p.i++
	case p.i < len(d) && '1' <= d[p.i] && d[p.i] <= '9':
		for p.i < len(d) && isDigit(d[p.i]) {
			p.i++
		}
	default:
		return nil, errSyntax
	}
	if p.i < len(d) && d[p.i] == '.' {
		p.i++
		if p.i >= len(d) || !isDigit(d[p.i]) {
			return nil, errSyntax
		}
		for p.i < len(d) && isDigit(d[p.i]) {
			p.i++
		}
	}
	if p.i < len(d) && (d[p.i] == 'e' || d[p.i] == 'E') {
		p.i++
		if p.i < len(d) && (d[p.i] == '+' || d[p.i] == '-') {
			p.i++
		}
		if p.i >= len(d) || !isDigit(d[p.i]) {
			return nil, errSyntax
		}
		for p.i < len(d) && isDigit(d[p.i]) {
			p.i++
		}
	}
	return json.Number(d[start:p.i]), nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// str reads a string at p.i (the opening quote), decoding escapes as
// encoding/json does.
func (p *jsonParser) str() (string, error) {
	p.i++ // "
	start := p.i
	d := p.data
	// Fast path: no escapes, ASCII or valid UTF-8.
	for p.i < len(d) {
		c := d[p.i]
		if c == '"' {
			s := d[start:p.i]
			p.i++
			return s, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		p.i++
	}
	buf := append(p.buf[:0], d[start:p.i]...)
	for p.i < len(d) {
		c := d[p.i]
		switch {
		case c == '"':
			p.i++
			p.buf = buf
			return string(buf), nil
		case c < 0x20:
			return "", errSyntax
		case c == '\\':
			if p.i+1 >= len(d) {
				return "", errSyntax
			}
			e := d[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", errSyntax
				}
				if utf16.IsSurrogate(r) {
					// A high surrogate followed by an escaped low one is one
					// character; anything else is U+FFFD, as in encoding/json.
					r2, ok := rune(-1), false
					if p.i+1 < len(d) && d[p.i] == '\\' && d[p.i+1] == 'u' {
						save := p.i
						p.i += 2
						if r2, ok = p.hex4(); !ok {
							return "", errSyntax
						}
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							continue
						}
						p.i = save // the second escape stands on its own
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", errSyntax
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.i++
		default:
			r, size := utf8.DecodeRuneInString(d[p.i:])
			p.i += size
			buf = utf8.AppendRune(buf, r) // invalid bytes become U+FFFD
		}
	}
	return "", errSyntax
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.data)-p.i < 4 {
		return 0, false
	}
	var r rune
	for j := p.i; j < p.i+4; j++ {
		c := p.data[j]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	p.i += 4
	return r, true
}
