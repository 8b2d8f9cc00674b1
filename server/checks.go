package server

import (
	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/hibp"
)

// accountChecks are the optional checks of new credentials: leaked passwords
// (AUTH_PASSWORD_HIBP_ENABLED, through AUTH_PASSWORD_HIBP_URL).
func accountChecks(cfg *config.Config) []account.Option {
	var opts []account.Option
	if cfg.PasswordHIBPEnabled {
		opts = append(opts, account.WithPwnedPasswords(hibp.New(cfg.HIBPURL, hibp.Options{})))
	}
	return opts
}
