// Package rollback readies a database this server ran on for nhost's
// hasura-auth to take over again, and says what hasura-auth will not use.
//
// Most of the data needs nothing: users, roles, refresh tokens (hashed as
// hasura-auth hashes them), personal access tokens and golang-migrate's
// auth.schema_migrations are as hasura-auth reads them. TOTP secrets are not
// when AUTH_ENCRYPTION_KEY sealed them: Prepare opens them back to the clear
// text hasura-auth stores.
package rollback

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/secretbox"
)

// Report is what Prepare did and what a rollback leaves unused.
type Report struct {
	TOTPSecretsOpened int // sealed TOTP secrets written back in clear

	// Rows hasura-auth never reads; they stay in place for a later switch back.
	SigningKeys     int64 // auth.jwt_signing_keys: tokens they signed stop verifying once Hasura trusts hasura-auth's key
	AuditEvents     int64 // auth.audit_log
	RotationHistory int64 // auth.refresh_token_history: replays of rotated tokens are no longer recognised
	SessionEpochs   int64 // auth.user_sessions_epoch: "sign out everywhere" no longer refuses older access tokens
	PendingTickets  int64 // email links and MFA tickets stored hashed: hasura-auth compares them in clear, so they stop working
}

// Prepare opens every sealed TOTP secret with box (nil: there must be none)
// in one transaction, unless dryRun, and counts what hasura-auth will not use.
func Prepare(ctx context.Context, db *gorm.DB, box *secretbox.Box, dryRun bool) (*Report, error) {
	r := &Report{}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []struct {
			ID         uuid.UUID
			TOTPSecret string `gorm:"column:totp_secret"`
		}
		if err := tx.Raw(`SELECT id, totp_secret FROM auth.users WHERE totp_secret LIKE ? FOR UPDATE`, secretbox.Prefix+"%").Scan(&rows).Error; err != nil {
			return fmt.Errorf("read TOTP secrets: %w", err)
		}
		for _, u := range rows {
			if box == nil {
				return errors.New("TOTP secrets are encrypted and AUTH_ENCRYPTION_KEY is not set: run with the key the server used")
			}
			plain, err := box.Open(u.TOTPSecret, u.ID[:])
			if err != nil {
				return fmt.Errorf("open the TOTP secret of user %s: %w", u.ID, err)
			}
			if !dryRun {
				if err := tx.Exec(`UPDATE auth.users SET totp_secret = ? WHERE id = ?`, string(plain), u.ID).Error; err != nil {
					return fmt.Errorf("write the TOTP secret of user %s: %w", u.ID, err)
				}
			}
			r.TOTPSecretsOpened++
		}
		for _, c := range []struct {
			dst *int64
			sql string
		}{
			{&r.SigningKeys, `SELECT count(*) FROM auth.jwt_signing_keys`},
			{&r.AuditEvents, `SELECT count(*) FROM auth.audit_log`},
			{&r.RotationHistory, `SELECT count(*) FROM auth.refresh_token_history`},
			{&r.SessionEpochs, `SELECT count(*) FROM auth.user_sessions_epoch`},
			// Ours are "<type>:<64 hex>"; hasura-auth's "<type>:<uuid>".
			{&r.PendingTickets, `SELECT count(*) FROM auth.users WHERE ticket ~ ':[0-9a-f]{64}$' AND ticket_expires_at > now()`},
		} {
			if err := tx.Raw(c.sql).Scan(c.dst).Error; err != nil {
				return fmt.Errorf("count: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}
