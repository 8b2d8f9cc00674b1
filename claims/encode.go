package claims

import (
	"encoding/json"
	"strconv"
	"strings"
)

// encode renders a value as a session variable. Hasura accepts only strings
// there: strings go as they are, arrays as PostgreSQL array literals (what
// Hasura expects for _in / _has_keys_any on a session variable), other
// scalars and objects as their JSON text. false when v is nothing (nil).
func encode(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		return x.String(), true
	case []any:
		var b strings.Builder
		writeArray(&b, x)
		return b.String(), true
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return "", false
		}
		return string(raw), true
	}
}

// writeArray writes a PostgreSQL array literal. Every element is quoted, so
// commas, braces, spaces, empty strings and the word NULL survive as data;
// only a JSON null becomes SQL NULL. Nested arrays become nested literals.
func writeArray(b *strings.Builder, elems []any) {
	b.WriteByte('{')
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		switch x := e.(type) {
		case nil:
			b.WriteString("NULL")
		case []any:
			writeArray(b, x)
		default:
			s, _ := encode(x)
			b.WriteByte('"')
			for _, r := range s {
				if r == '"' || r == '\\' {
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			}
			b.WriteByte('"')
		}
	}
	b.WriteByte('}')
}
