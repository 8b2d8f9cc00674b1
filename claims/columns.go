package claims

import (
	"time"

	"github.com/hasura-auth-go/auth/models"
)

// column reads one auth.users column from the loaded row, as Hasura's
// GraphQL would return it (nil for NULL), so a claim has the same value
// whether it is resolved here or through Hasura.
type column func(u *models.User) any

// columns maps Hasura's camelCase name and the SQL snake_case name of each
// column the loaded row carries. Columns missing here (and not secret) are
// left to Hasura, which knows them by their camelCase names.
var columns = map[string]column{}

func init() {
	add := func(camel, snake string, c column) {
		columns[camel] = c
		if snake != "" {
			columns[snake] = c
		}
	}
	add("id", "", func(u *models.User) any { return u.ID.String() })
	add("createdAt", "created_at", func(u *models.User) any { return pgTime(u.CreatedAt) })
	add("updatedAt", "updated_at", func(u *models.User) any { return pgTime(u.UpdatedAt) })
	add("lastSeen", "last_seen", func(u *models.User) any { return pgTimePtr(u.LastSeen) })
	add("disabled", "", func(u *models.User) any { return u.Disabled })
	add("displayName", "display_name", func(u *models.User) any { return u.DisplayName })
	add("avatarUrl", "avatar_url", func(u *models.User) any { return u.AvatarURL })
	add("locale", "", func(u *models.User) any { return u.Locale })
	add("email", "", func(u *models.User) any { return strPtr(u.Email) })
	add("phoneNumber", "phone_number", func(u *models.User) any { return strPtr(u.PhoneNumber) })
	add("emailVerified", "email_verified", func(u *models.User) any { return u.EmailVerified })
	add("phoneNumberVerified", "phone_number_verified", func(u *models.User) any { return u.PhoneNumberVerified })
	add("newEmail", "new_email", func(u *models.User) any { return strPtr(u.NewEmail) })
	add("defaultRole", "default_role", func(u *models.User) any { return u.DefaultRole })
	add("isAnonymous", "is_anonymous", func(u *models.User) any { return u.IsAnonymous })
	add("activeMfaType", "active_mfa_type", func(u *models.User) any { return strPtr(u.ActiveMFAType) })
	add("ticketExpiresAt", "ticket_expires_at", func(u *models.User) any { return pgTime(u.TicketExpiresAt) })
}

// secretColumns never go into a token, whichever way they would be resolved.
var secretColumns = map[string]bool{
	"passwordHash": true, "password_hash": true,
	"totpSecret": true, "totp_secret": true,
	"ticket":  true,
	"otpHash": true, "otp_hash": true,
	"webauthnCurrentChallenge": true, "webauthn_current_challenge": true,
}

// pgTime formats a timestamptz as PostgreSQL's JSON (and so Hasura) does.
func pgTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999999-07:00") }

func pgTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return pgTime(*t)
}

func strPtr(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
