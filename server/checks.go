package server

import (
	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/hibp"
)

// pwnedPasswords is the leaked-passwords check of new passwords
// (AUTH_PASSWORD_HIBP_ENABLED, through AUTH_PASSWORD_HIBP_URL); nil when off.
func pwnedPasswords(cfg *config.Config) account.PwnedChecker {
	if !cfg.PasswordHIBPEnabled {
		return nil
	}
	return hibp.New(cfg.HIBPURL, hibp.Options{})
}
