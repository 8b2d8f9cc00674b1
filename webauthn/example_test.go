package webauthn_test

import (
	"context"
	"encoding/json"

	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/webauthn"
)

// The verify step of a sign-up as a route runs it: one transaction takes the
// challenge, creates the user with the id the key was registered for, stores
// the key and (elided) starts the session, so a refusal anywhere writes
// nothing.
func ExampleService_FinishSignUp() {
	var (
		ctx  = context.Background()
		db   *gorm.DB          // the server's database
		svc  *webauthn.Service // webauthn.New(cfg, clock)
		body struct {
			Credential json.RawMessage `json:"credential"`
			Options    json.RawMessage `json:"options"`
			Nickname   string          `json:"nickname"`
		}
	)
	_ = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		su, err := svc.FinishSignUp(ctx, tx, body.Credential, body.Nickname)
		if err != nil {
			return err // errors.Is(err, webauthn.ErrChallengeExpired), …: a 400
		}
		options, err := webauthn.MergeOptions(su.Options, body.Options)
		if err != nil {
			return err
		}
		_ = options // validated as any sign-up's options: roles, locale, redirectTo
		email := su.Email
		u := &models.User{ID: su.UserID, Email: &email, DisplayName: su.DisplayName, Locale: "en", DefaultRole: "user"}
		if err := models.CreateUser(tx, u, []string{"user", "me"}); err != nil {
			return err // gorm.ErrDuplicatedKey: email-already-in-use
		}
		_, err = svc.StoreSignUpKey(ctx, tx, su)
		return err
	})
}
