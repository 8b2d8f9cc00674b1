package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// UserColumns are the auth.users columns a token or a Session needs, in the
// order ScanUser reads them; secrets (password hash, TOTP secret, ticket,
// OTP hash) are left out. alias qualifies them (e.g. "u.").
func UserColumns(alias string) string {
	cols := ""
	for i, c := range userColumnNames {
		if i > 0 {
			cols += ", "
		}
		cols += alias + c
	}
	return cols
}

var userColumnNames = []string{
	"id", "created_at", "updated_at", "last_seen", "disabled", "display_name", "avatar_url", "locale",
	"email", "phone_number", "email_verified", "phone_number_verified", "new_email", "default_role",
	"is_anonymous", "active_mfa_type", "ticket_expires_at", "metadata",
}

// Scanner is a *sql.Row or *sql.Rows.
type Scanner interface{ Scan(dest ...any) error }

// ScanUser reads UserColumns, followed by extra destinations, without GORM's
// reflection: it is on the refresh hot path.
func ScanUser(row Scanner, u *User, extra ...any) error {
	dest := []any{
		&u.ID, &u.CreatedAt, &u.UpdatedAt, &u.LastSeen, &u.Disabled, &u.DisplayName, &u.AvatarURL, &u.Locale,
		&u.Email, &u.PhoneNumber, &u.EmailVerified, &u.PhoneNumberVerified, &u.NewEmail, &u.DefaultRole,
		&u.IsAnonymous, &u.ActiveMFAType, &u.TicketExpiresAt, &u.Metadata,
	}
	return row.Scan(append(dest, extra...)...)
}

// SetRoleList fills u.Roles from a JSON array of role names.
func (u *User) SetRoleList(list []byte) error {
	var roles []string
	if err := json.Unmarshal(list, &roles); err != nil {
		return fmt.Errorf("decode roles: %w", err)
	}
	u.Roles = make([]UserRole, len(roles))
	for i, r := range roles {
		u.Roles[i] = UserRole{UserID: u.ID, Role: r}
	}
	return nil
}

var loadUserSQL = `SELECT ` + UserColumns("u.") + `,
  COALESCE((SELECT json_agg(r.role) FROM auth.user_roles r WHERE r.user_id = u.id), '[]')
FROM auth.users u WHERE u.id = $1`

// LoadUser reads a user and their roles in one round trip over database/sql
// (GET /user runs it on every call; FindUserByID costs GORM two queries).
func LoadUser(ctx context.Context, db *sql.DB, id uuid.UUID) (*User, error) {
	var (
		u     User
		roles []byte
	)
	err := ScanUser(db.QueryRowContext(ctx, loadUserSQL, id), &u, &roles)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := u.SetRoleList(roles); err != nil {
		return nil, err
	}
	return &u, nil
}

// CompleteInsert sets what writing a new user with roles stored beside the
// given columns: update and last-seen times, the role rows.
func (u *User) CompleteInsert(roles []string) {
	u.UpdatedAt, u.LastSeen = u.CreatedAt, &u.CreatedAt
	u.Roles = make([]UserRole, len(roles))
	for i, r := range roles {
		u.Roles[i] = UserRole{UserID: u.ID, Role: r}
	}
}
