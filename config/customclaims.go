package config

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hasura-auth-go/auth/claims"
)

// jsonObject reads an optional JSON object; "" means none. The value is not
// echoed in the error: the JSON parser's message and offset locate the fault.
func (p parser) jsonObject(key string, dst any) {
	s := strings.TrimSpace(p.v.GetString(key))
	if s == "" {
		return
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber() // a default of 12345678901234567890 stays exact
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		err = fmt.Errorf("unexpected data after the object")
	}
	if err != nil {
		p.failed[key] = true
		*p.errs = append(*p.errs, fmt.Errorf("%s: must be a JSON object (%s), got %q: %v", key, objectShape[key], s, err))
	}
}

var objectShape = map[string]string{
	claims.VarClaims:   `claim name to path, e.g. {"org-id":"profile.organisation.id"}`,
	claims.VarDefaults: `claim name to value, e.g. {"org-id":"none"}`,
}

// CustomClaims is the custom-claims configuration for package claims.
func (c *Config) CustomClaims() claims.Config {
	return claims.Config{
		Claims:      c.JWTCustomClaims,
		Defaults:    c.JWTCustomClaimsDefaults,
		Function:    c.JWTCustomClaimsFunction,
		GraphQLURL:  c.HasuraGraphQLURL,
		AdminSecret: c.HasuraAdminSecret,
	}
}
