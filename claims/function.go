package claims

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

var unquotedIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*`)

// quoteFunctionName turns "fn", "schema.fn" or their double-quoted forms
// into a safely quoted SQL name. Unquoted parts fold to lower case, as
// PostgreSQL folds them, so the name means what it would mean in psql.
func quoteFunctionName(name string) (string, error) {
	rest := strings.TrimSpace(name)
	var parts []string
	for {
		var ident string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i, closed := 1, false
			for i < len(rest) {
				if rest[i] == '"' {
					if i+1 < len(rest) && rest[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(rest[i])
				i++
			}
			if !closed {
				return "", errors.New("unclosed double quote")
			}
			ident, rest = b.String(), rest[i:]
			if ident == "" || strings.ContainsRune(ident, 0) {
				return "", errors.New("empty or invalid quoted identifier")
			}
		} else {
			m := unquotedIdent.FindString(rest)
			if m == "" {
				return "", fmt.Errorf("%q is not a function name or schema.function", name)
			}
			ident, rest = strings.ToLower(m), rest[len(m):]
		}
		if len(ident) > 63 {
			return "", fmt.Errorf("identifier %q is longer than 63 bytes", ident)
		}
		parts = append(parts, `"`+strings.ReplaceAll(ident, `"`, `""`)+`"`)
		if rest == "" {
			break
		}
		if rest[0] != '.' {
			return "", fmt.Errorf("%q is not a function name or schema.function", name)
		}
		rest = rest[1:]
	}
	if len(parts) > 2 {
		return "", fmt.Errorf("%q has more than schema.function", name)
	}
	return strings.Join(parts, "."), nil
}

// callFunction runs the claims function in one SELECT on db (the caller's
// transaction when there is one). nil when it returns NULL.
func callFunction(ctx context.Context, db *gorm.DB, quoted string, userID uuid.UUID) (map[string]any, error) {
	var raw sql.NullString
	// quoted was built by quoteFunctionName; the user id is a bind parameter.
	if err := db.WithContext(ctx).Raw("SELECT "+quoted+"(?::uuid)::text", userID.String()).Row().Scan(&raw); err != nil {
		return nil, fmt.Errorf("call %s: %w", quoted, err)
	}
	if !raw.Valid {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw.String))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%s returned invalid JSON: %w", quoted, err)
	}
	obj, ok := v.(map[string]any)
	if !ok && v != nil {
		return nil, fmt.Errorf("%s returned %T, not a JSON object", quoted, v)
	}
	return obj, nil
}

// checkFunction reports, for a start-up warning, why the function cannot be
// called yet; "" when it exists with (uuid) and returns json or jsonb.
func checkFunction(ctx context.Context, db *gorm.DB, quoted string) (string, error) {
	var result sql.NullString
	err := db.WithContext(ctx).Raw("SELECT pg_get_function_result(to_regprocedure(?))", quoted+"(uuid)").Row().Scan(&result)
	switch {
	case err != nil:
		return "", err
	case !result.Valid:
		return "no function " + quoted + "(uuid) exists (yet)", nil
	case result.String != "jsonb" && result.String != "json":
		return quoted + "(uuid) returns " + result.String + ", not jsonb", nil
	}
	return "", nil
}
