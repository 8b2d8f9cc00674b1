package config

import (
	"github.com/hasura-auth-go/auth/claims"
)

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
