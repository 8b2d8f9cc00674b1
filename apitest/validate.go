package apitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// nullableRefs lists the object properties, as "Schema.property", whose value
// may be null although the property is a bare $ref. OpenAPI 3.0 cannot mark a
// $ref nullable (siblings of $ref are ignored), yet nhost sends
// {"session": null} when no session is issued (email verification pending)
// and {"session": null, "mfa": {...}} when sign-in needs a TOTP code; see
// API-NOTES.md ("Wire format"). Everything else stays strict.
var nullableRefs = map[string]bool{
	"SessionPayload.session":              true,
	"SignInEmailPasswordResponse.session": true,
	"SignInEmailPasswordResponse.mfa":     true,
}

// Violation is one way a body departs from the contract.
type Violation struct {
	Path    string // JSON path into the body, "$" for the root
	Message string
}

func (v *Violation) Error() string { return v.Path + ": " + v.Message }

// Validate checks body (a JSON document) against components.schemas[schema]
// of the contract and returns every violation found (nil when it conforms).
// The errors are *Violation except when the contract itself cannot be used.
func Validate(schemaName string, body []byte) []error {
	s, err := loadSpec()
	if err != nil {
		return []error{fmt.Errorf("apitest: load contract: %w", err)}
	}
	sc := s.Components.Schemas[schemaName]
	if sc == nil {
		return []error{fmt.Errorf("apitest: the contract has no schema %q", schemaName)}
	}
	return validateBody(sc, schemaName, body)
}

func validateBody(sc *schema, owner string, body []byte) []error {
	val, ok, errs := parseJSON(body)
	if !ok {
		return errs
	}
	v := validator{errs: errs}
	v.check(sc, owner, val, "$")
	return v.errs
}

type validator struct {
	errs []error
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, &Violation{Path: path, Message: fmt.Sprintf(format, args...)})
}

// check validates val against sc. owner names the component schema that sc
// belongs to, for messages and nullableRefs.
func (v *validator) check(sc *schema, owner string, val any, path string) {
	if sc.ref != nil {
		v.check(sc.ref, sc.refName, val, path)
		return
	}
	if val == nil {
		// OpenAPI 3.0: null is valid only with nullable: true, and a schema
		// without a type does not constrain the value at all.
		if sc.Type != "" && !sc.Nullable {
			v.fail(path, "expected %s, got null", sc.Type)
		}
		return
	}
	if !v.checkType(sc, val, path) {
		return // further keywords would only repeat the type error
	}
	if len(sc.Enum) > 0 && !slices.ContainsFunc(sc.Enum, func(e any) bool { return enumEqual(e, val) }) {
		v.fail(path, "%s is not one of %s", describe(val), enumList(sc.Enum))
	}
	switch x := val.(type) {
	case string:
		v.checkString(sc, x, path)
	case json.Number:
		v.checkNumber(sc, x, path)
	case map[string]any:
		v.checkObject(sc, owner, x, path)
	case []any:
		if sc.Items != nil {
			for i, item := range x {
				v.check(sc.Items, owner, item, path+"["+strconv.Itoa(i)+"]")
			}
		}
	}
}

func (v *validator) checkType(sc *schema, val any, path string) bool {
	got := jsonType(val)
	switch {
	case sc.Type == "" || sc.Type == got:
		return true
	case sc.Type == "number" && got == "integer":
		return true
	case sc.Type == "integer" && got == "number":
		v.fail(path, "expected integer, got number %s", val)
		return false
	case got == "integer":
		got = "number" // "integer" is our refinement, not a JSON type
	}
	v.fail(path, "expected %s, got %s", sc.Type, got)
	return false
}

func (v *validator) checkString(sc *schema, s, path string) {
	// JSON Schema counts characters (code points), not bytes.
	n := utf8.RuneCountInString(s)
	if sc.MinLength != nil && n < *sc.MinLength {
		v.fail(path, "%s is shorter than minLength %d", describe(s), *sc.MinLength)
	}
	if sc.MaxLength != nil && n > *sc.MaxLength {
		v.fail(path, "%s is longer than maxLength %d", describe(s), *sc.MaxLength)
	}
	// Patterns are not anchored (JSON Schema searches); the contract anchors
	// where it means to.
	if sc.re != nil && !sc.re.MatchString(s) {
		v.fail(path, "%s does not match pattern %s", describe(s), sc.Pattern)
	}
	switch sc.Format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			v.fail(path, "%s is not an RFC 3339 date-time", describe(s))
		}
	case "uuid":
		if !uuidRE.MatchString(s) {
			v.fail(path, "%s is not a uuid", describe(s))
		}
	}
	// email, uri and byte are not checked: their grammars are loose enough
	// that a check would flag valid data (the contract's patterns cover the
	// fields that matter, such as uuids).
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (v *validator) checkNumber(sc *schema, n json.Number, path string) {
	var bits int
	switch sc.Format {
	case "int32":
		bits = 32
	case "int64":
		bits = 64
	default:
		return
	}
	r, ok := new(big.Rat).SetString(string(n))
	if !ok || !r.IsInt() {
		return // the type check reports fractions
	}
	lim := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	if i := r.Num(); i.Cmp(lim) >= 0 || i.Cmp(new(big.Int).Neg(lim)) < 0 {
		v.fail(path, "%s does not fit format %s", n, sc.Format)
	}
}

func (v *validator) checkObject(sc *schema, owner string, obj map[string]any, path string) {
	for _, name := range sc.Required {
		if _, ok := obj[name]; !ok {
			v.fail(childPath(path, name), "missing required property")
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic order of violations
	for _, k := range keys {
		val, p := obj[k], childPath(path, k)
		if ps, ok := sc.Properties[k]; ok {
			if val == nil && ps.ref != nil && nullableRefs[owner+"."+k] {
				continue
			}
			v.check(ps, owner, val, p)
			continue
		}
		ap := sc.AdditionalProperties
		switch {
		case ap == nil || (ap.allowed && ap.schema == nil):
		case !ap.allowed:
			where := owner
			if where == "" {
				where = "this object"
			}
			v.fail(p, "unknown property (%s has additionalProperties: false)", where)
		default:
			v.check(ap.schema, owner, val, p)
		}
	}
}

// jsonType names the JSON type of a parsed value, with "integer" for numbers
// that have no fractional part (so 900 and 9e2 are integers, 900.5 is not).
func jsonType(val any) string {
	switch x := val.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(x)); ok && r.IsInt() {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", val)
}

// enumEqual compares a YAML enum value with a parsed JSON value.
func enumEqual(e, val any) bool {
	switch x := val.(type) {
	case string:
		s, ok := e.(string)
		return ok && s == x
	case bool:
		b, ok := e.(bool)
		return ok && b == x
	case json.Number:
		var es string
		switch n := e.(type) {
		case int:
			es = strconv.Itoa(n)
		case float64:
			if math.IsInf(n, 0) || math.IsNaN(n) {
				return false
			}
			es = strconv.FormatFloat(n, 'g', -1, 64)
		default:
			return false
		}
		a, ok1 := new(big.Rat).SetString(es)
		b, ok2 := new(big.Rat).SetString(string(x))
		return ok1 && ok2 && a.Cmp(b) == 0
	}
	return false
}

func enumList(enum []any) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		b, err := json.Marshal(e)
		if err != nil {
			b = []byte(fmt.Sprint(e))
		}
		parts[i] = string(b)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// describe renders a value for a message, shortened so a long token does not
// drown the report.
func describe(val any) string {
	var s string
	switch x := val.(type) {
	case string:
		if utf8.RuneCountInString(x) > 60 {
			x = string([]rune(x)[:57]) + "..."
		}
		s = strconv.Quote(x)
	case json.Number:
		s = string(x)
	default:
		s = jsonType(val)
	}
	return s
}

var identRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

func childPath(path, key string) string {
	if identRE.MatchString(key) {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// parseJSON decodes body keeping numbers exact (json.Number) and reporting
// what encoding/json would silently accept: duplicate keys (clients keep
// either the first or the last) and invalid UTF-8 (replaced by U+FFFD).
// ok is false when body is not JSON at all and nothing can be validated.
func parseJSON(body []byte) (val any, ok bool, errs []error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, false, []error{&Violation{Path: "$", Message: "empty body, expected a JSON document"}}
	}
	if !utf8.Valid(body) {
		return nil, false, []error{&Violation{Path: "$", Message: "body is not valid UTF-8"}}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	p := parser{dec: dec}
	val, err := p.value("$")
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			err = errors.New("data after the JSON value")
		}
	}
	if err != nil {
		return nil, false, []error{&Violation{Path: "$", Message: "invalid JSON: " + err.Error()}}
	}
	return val, true, p.errs
}

type parser struct {
	dec  *json.Decoder
	errs []error
}

func (p *parser) value(path string) (any, error) {
	tok, err := p.dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := map[string]any{}
		for p.dec.More() {
			kt, err := p.dec.Token()
			if err != nil {
				return nil, err
			}
			k := kt.(string) // the decoder only yields string keys
			child := childPath(path, k)
			val, err := p.value(child)
			if err != nil {
				return nil, err
			}
			if _, dup := obj[k]; dup {
				p.errs = append(p.errs, &Violation{Path: child, Message: "duplicate key"})
			}
			obj[k] = val
		}
		_, err := p.dec.Token() // '}'
		return obj, err
	case json.Delim('['):
		arr := []any{}
		for p.dec.More() {
			val, err := p.value(path + "[" + strconv.Itoa(len(arr)) + "]")
			if err != nil {
				return nil, err
			}
			arr = append(arr, val)
		}
		_, err := p.dec.Token() // ']'
		return arr, err
	}
	return tok, nil
}
