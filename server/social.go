package server

import (
	"fmt"

	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/hasura-auth-go/auth/session"
	"github.com/hasura-auth-go/auth/social"
)

// newSocial builds the providers of AUTH_PROVIDER_* (nothing is fetched from
// them yet) and the sign-in flows over them.
func newSocial(cfg *config.Config, db *gorm.DB, accounts *account.Service, sessions *session.Service,
	recorder *audit.Recorder, o Options) (*social.Service, error) {
	registry, err := providers.New(cfg.Providers, providers.Options{CallbackBaseURL: cfg.ServerURL, Now: o.Now})
	if err != nil {
		return nil, fmt.Errorf("providers: %w", err)
	}
	secrets, err := cfg.Keyring()
	if err != nil {
		return nil, err
	}
	if names := registry.Enabled(); len(names) > 0 {
		o.Log.Info("sign-in with providers enabled", "providers", names)
	}
	return social.New(social.Options{
		DB: db, Providers: registry, Accounts: accounts, Sessions: sessions, Secrets: secrets, Audit: recorder,
		Now: o.Now, Log: o.Log, ClientURL: cfg.ClientURL, BindBrowser: cfg.ProviderStateCookie,
	})
}
