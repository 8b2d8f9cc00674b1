package hasura

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

const (
	allowedRolesClaim = "x-hasura-allowed-roles"
	defaultRoleClaim  = "x-hasura-default-role"
	roleClaim         = "x-hasura-role"
	sessionPrefix     = "x-hasura-"
)

// registeredClaims are the JWT claims jose decodes itself; Hasura's namespace lookups
// only see the other ("unregistered") claims.
var registeredClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
}

// mapValue is one compiled claims_map entry: a literal, or a JSONPath with an optional default.
type mapValue struct {
	path       jsonPath
	hasPath    bool
	literal    any // []string for allowed roles, string otherwise
	def        any
	hasDefault bool
}

type claimsMapSpec struct {
	allowedRoles mapValue
	defaultRole  mapValue
	others       map[string]mapValue // lower-cased session variable -> value
}

type valueKind int

const (
	roleListValue valueKind = iota
	roleValue
	textValue
)

// compileClaimsMap validates claims_map as Hasura parses it.
func compileClaimsMap(m map[string]any) (*claimsMapSpec, error) {
	spec := &claimsMapSpec{others: map[string]mapValue{}}
	var err error
	ar, ok := m[allowedRolesClaim]
	if !ok {
		return nil, errors.New(allowedRolesClaim + " is expected but not found")
	}
	if spec.allowedRoles, err = compileMapValue(ar, roleListValue); err != nil {
		return nil, fmt.Errorf("%s: %w", allowedRolesClaim, err)
	}
	dr, ok := m[defaultRoleClaim]
	if !ok {
		return nil, errors.New(defaultRoleClaim + " is expected but not found")
	}
	if spec.defaultRole, err = compileMapValue(dr, roleValue); err != nil {
		return nil, fmt.Errorf("%s: %w", defaultRoleClaim, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		// Session variables are case-insensitive; Hasura drops other spellings of the role claims.
		if lk == allowedRolesClaim || lk == defaultRoleClaim {
			continue
		}
		if _, dup := spec.others[lk]; dup {
			return nil, fmt.Errorf("%s is given more than once", lk)
		}
		v, err := compileMapValue(m[k], textValue)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", lk, err)
		}
		spec.others[lk] = v
	}
	return spec, nil
}

func compileMapValue(v any, kind valueKind) (mapValue, error) {
	if obj, ok := v.(map[string]any); ok {
		p, ok := obj["path"].(string)
		if !ok {
			return mapValue{}, errors.New(`expected "path" to be a JSONPath string`)
		}
		path, err := parseJSONPath(p)
		if err != nil {
			return mapValue{}, err
		}
		mv := mapValue{path: path, hasPath: true}
		if d, ok := obj["default"]; ok && d != nil {
			if mv.def, err = literalValue(d, kind); err != nil {
				return mapValue{}, fmt.Errorf("default: %w", err)
			}
			mv.hasDefault = true
		}
		return mv, nil
	}
	lit, err := literalValue(v, kind)
	if err != nil {
		return mapValue{}, err
	}
	return mapValue{literal: lit}, nil
}

func literalValue(v any, kind valueKind) (any, error) {
	switch kind {
	case roleListValue:
		roles, err := parseRoleList(v)
		if err != nil {
			return nil, fmt.Errorf("expected a list of roles: %s", err)
		}
		return roles, nil
	case roleValue:
		role, err := parseRole(v)
		if err != nil {
			return nil, fmt.Errorf("expected a role: %s", err)
		}
		return role, nil
	default:
		s, ok := v.(string)
		if !ok {
			return nil, errors.New(`expected a string or an object with "path"`)
		}
		return s, nil
	}
}

// parseRoleList and parseRole mirror aeson's decoding of [RoleName] / RoleName,
// including its wording, which ends up in Hasura's error messages.
func parseRoleList(v any) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("parsing [] failed, expected Array, but encountered %s", jsonTypeName(v))
	}
	roles := make([]string, 0, len(arr))
	for _, el := range arr {
		r, err := parseRole(el)
		if err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	return roles, nil
}

func parseRole(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("parsing String failed, expected String, but encountered %s", jsonTypeName(v))
	}
	if s == "" {
		return "", errors.New("empty string not allowed")
	}
	return s, nil
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "Object"
	case []any:
		return "Array"
	case string:
		return "String"
	case bool:
		return "Boolean"
	case nil:
		return "Null"
	default:
		return "Number"
	}
}

// PlaceClaims puts the hasura claims object into a JWT payload where the configured
// Hasura looks for it: under ClaimsNamespace, or at ClaimsNamespacePath ("$" merges it
// into the top level, "$.a.b" nests it), as an object or, with stringified_json, as a
// JSON string. With a claims_map, each mapped claim is also written at its path so
// Hasura finds it there. Registered claims (sub, iat, exp, ...) are never overwritten.
func (s *JWTSecret) PlaceClaims(payload map[string]any, claims map[string]any) error {
	if s == nil || payload == nil {
		return errors.New("hasura: PlaceClaims needs a secret and a payload map")
	}
	var value any = claims
	if s.ClaimsFormat == ClaimsFormatStringifiedJSON {
		b, err := json.Marshal(claims)
		if err != nil {
			return fmt.Errorf("hasura: encoding claims: %w", err)
		}
		value = string(b)
	}
	if s.ClaimsNamespacePath != "" {
		path, err := parseJSONPath(s.ClaimsNamespacePath)
		if err != nil {
			return fmt.Errorf("hasura: claims_namespace_path: %w", err)
		}
		if err := placeAtPath(payload, path, value, claims); err != nil {
			return err
		}
	} else {
		ns := s.ClaimsNamespace
		if ns == "" {
			ns = DefaultClaimsNamespace
		}
		if registeredClaims[ns] {
			return fmt.Errorf("hasura: claims_namespace %q is a registered claim, Hasura would not find the claims there", ns)
		}
		payload[ns] = value
	}
	if s.ClaimsMap == nil {
		return nil
	}
	spec, err := compileClaimsMap(s.ClaimsMap)
	if err != nil {
		return fmt.Errorf("hasura: claims_map: %w", err)
	}
	mapped := map[string]mapValue{allowedRolesClaim: spec.allowedRoles, defaultRoleClaim: spec.defaultRole}
	for k, v := range spec.others {
		mapped[k] = v
	}
	lower := make(map[string]any, len(claims))
	for k, v := range claims {
		lower[strings.ToLower(k)] = v
	}
	keys := make([]string, 0, len(mapped))
	for k := range mapped {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		mv := mapped[k]
		v, ok := lower[k]
		if !mv.hasPath || !ok {
			continue
		}
		if err := setNoOverwrite(payload, mv.path, v); err != nil {
			return fmt.Errorf("hasura: claims_map %s: %w", k, err)
		}
	}
	return nil
}

// placeAtPath writes the claims at a claims_namespace_path. Hasura evaluates that path
// over the unregistered claims only, so it must not start at a registered claim.
func placeAtPath(payload map[string]any, path jsonPath, value any, claims map[string]any) error {
	if len(path) == 0 {
		if _, ok := value.(string); ok {
			return errors.New(`hasura: stringified_json claims cannot be placed at "$"`)
		}
		for _, k := range sortedKeys(claims) {
			if registeredClaims[k] {
				return fmt.Errorf("hasura: claim %q would overwrite a registered claim", k)
			}
			if old, ok := payload[k]; ok && !jsonEqual(old, claims[k]) {
				return fmt.Errorf("hasura: claim %q is already set in the payload", k)
			}
			payload[k] = claims[k]
		}
		return nil
	}
	if !path[0].isIndex && registeredClaims[path[0].key] {
		return fmt.Errorf("hasura: claims_namespace_path %s starts at a registered claim, Hasura would not find the claims there", path)
	}
	obj, err := walkCreate(payload, path)
	if err != nil {
		return err
	}
	obj[path[len(path)-1].key] = value
	return nil
}

// walkCreate returns the object that should hold the last path element, creating
// intermediate objects as needed.
func walkCreate(payload map[string]any, path jsonPath) (map[string]any, error) {
	obj := payload
	for i, el := range path {
		if el.isIndex {
			return nil, fmt.Errorf("hasura: cannot place claims at array index in %s", path)
		}
		if i == len(path)-1 {
			break
		}
		next, ok := obj[el.key]
		if !ok {
			child := map[string]any{}
			obj[el.key] = child
			obj = child
			continue
		}
		child, ok := next.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("hasura: %s crosses a claim that is not an object", path)
		}
		obj = child
	}
	return obj, nil
}

// setNoOverwrite writes v at path unless something different is already there.
func setNoOverwrite(payload map[string]any, path jsonPath, v any) error {
	if old, ok := path.lookup(payload); ok {
		if jsonEqual(old, v) {
			return nil
		}
		return fmt.Errorf("path %s already holds a different value", path)
	}
	if len(path) == 0 {
		return errors.New(`path "$" cannot hold a single claim`)
	}
	obj, err := walkCreate(payload, path)
	if err != nil {
		return err
	}
	obj[path[len(path)-1].key] = v
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsonEqual compares values as JSON, so []string{"a"} equals []any{"a"}.
func jsonEqual(a, b any) bool {
	norm := func(v any) (any, bool) {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, false
		}
		var out any
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, false
		}
		return out, true
	}
	na, okA := norm(a)
	nb, okB := norm(b)
	return okA && okB && reflect.DeepEqual(na, nb)
}
