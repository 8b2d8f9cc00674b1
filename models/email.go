package models

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Email flow queries (account/email.go, account/passwordless.go). Tickets are
// stored hashed; callers pass the stored form.

// ConsumeTicket clears the ticket in one statement and returns its user:
// of two requests with the same ticket, the second waits on the row lock,
// then finds no match. Call inside the transaction that acts on the ticket,
// so a failure later in it leaves the ticket usable.
func ConsumeTicket(tx *gorm.DB, stored []string, now time.Time) (uuid.UUID, error) {
	var rows []struct{ ID uuid.UUID }
	err := tx.Raw(`UPDATE auth.users SET ticket = NULL, ticket_expires_at = ?
WHERE ticket IN ? AND ticket_expires_at > ? RETURNING id`, now, stored, now).Scan(&rows).Error
	if err != nil {
		return uuid.Nil, err
	}
	if len(rows) == 0 {
		return uuid.Nil, ErrNotFound
	}
	return rows[0].ID, nil
}

// TicketRecipient is who a ticket set by email was set for.
type TicketRecipient struct {
	ID          uuid.UUID
	Email       string
	Locale      string
	DisplayName string
}

// SetTicketByEmail stores a ticket on the enabled, non-anonymous user with
// this email (and, with unverifiedOnly, an unverified email) and returns
// them, or nil when there is none. Known and unknown emails cost the same
// single statement (password reset and concealed errors rely on it).
func SetTicketByEmail(db *gorm.DB, email, stored string, expiresAt time.Time, unverifiedOnly bool) (*TicketRecipient, error) {
	var rows []TicketRecipient
	err := db.Raw(`UPDATE auth.users SET ticket = ?, ticket_expires_at = ?
WHERE email = ? AND NOT disabled AND NOT is_anonymous AND (NOT ? OR NOT email_verified)
RETURNING id, email, locale, display_name`, stored, expiresAt, email, unverifiedOnly).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

// DeleteUnusedSignUp removes a user created moments ago whose first mail
// could not be sent, so the failed sign-up leaves nothing behind: only while
// the ticket written with it is still there unused and the email unverified.
func DeleteUnusedSignUp(db *gorm.DB, userID uuid.UUID, storedTicket string) error {
	return db.Exec(`DELETE FROM auth.users WHERE id = ? AND ticket = ? AND NOT email_verified`, userID, storedTicket).Error
}

// SetNewEmail records the address a user asked to move to, with the ticket
// that confirms it.
func SetNewEmail(db *gorm.DB, userID uuid.UUID, newEmail, stored string, expiresAt time.Time) error {
	return db.Model(&User{}).Where("id = ?", userID).
		Updates(map[string]any{"new_email": newEmail, "ticket": stored, "ticket_expires_at": expiresAt}).Error
}

// ConfirmNewEmail moves the user to their new_email, verified. The unique
// index on email refuses it (gorm.ErrDuplicatedKey) when the address was
// taken meanwhile; false means there was no new_email.
func ConfirmNewEmail(tx *gorm.DB, userID uuid.UUID) (bool, error) {
	res := tx.Exec(`UPDATE auth.users SET email = new_email, new_email = NULL, email_verified = true
WHERE id = ? AND new_email IS NOT NULL`, userID)
	return res.RowsAffected > 0, res.Error
}

// SetEmailVerified marks the user's email verified.
func SetEmailVerified(tx *gorm.DB, userID uuid.UUID) error {
	return tx.Model(&User{}).Where("id = ?", userID).Update("email_verified", true).Error
}

// SetPasswordHash replaces the user's password hash; a password reset also
// proves the address, so it marks the email verified.
func SetPasswordHash(tx *gorm.DB, userID uuid.UUID, hash string, verifyEmail bool) error {
	changes := map[string]any{"password_hash": hash}
	if verifyEmail {
		changes["email_verified"] = true
	}
	return tx.Model(&User{}).Where("id = ?", userID).Updates(changes).Error
}

// EmailOTP is the user's current email code, as stored.
type EmailOTP struct {
	UserID    uuid.UUID
	Hash      *string // bcrypt; nil: no code
	ExpiresAt time.Time
	Method    *string
	Failures  int
}

// SetEmailOTP stores a new code (hashed) for the user and resets the count
// of wrong guesses.
func SetEmailOTP(tx *gorm.DB, userID uuid.UUID, hash string, expiresAt time.Time) error {
	err := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{
		"otp_hash": hash, "otp_hash_expires_at": expiresAt, "otp_method_last_used": "email",
	}).Error
	if err != nil {
		return err
	}
	return tx.Exec(`INSERT INTO auth.user_email_otp_state (user_id, failures) VALUES (?, 0)
ON CONFLICT (user_id) DO UPDATE SET failures = 0`, userID).Error
}

// LockEmailOTPByEmail loads, FOR UPDATE of the user row, the code of the
// user with this email; ErrNotFound when there is no such user.
func LockEmailOTPByEmail(tx *gorm.DB, email string) (*EmailOTP, error) {
	var rows []EmailOTP
	err := tx.Raw(`SELECT u.id AS user_id, u.otp_hash AS hash, u.otp_hash_expires_at AS expires_at,
  u.otp_method_last_used AS method, COALESCE(s.failures, 0) AS failures
FROM auth.users u LEFT JOIN auth.user_email_otp_state s ON s.user_id = u.id
WHERE u.email = ? FOR UPDATE OF u`, email).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	return &rows[0], nil
}

// RecordEmailOTPFailure counts a wrong guess; burn clears the code as well.
func RecordEmailOTPFailure(tx *gorm.DB, userID uuid.UUID, burn bool) error {
	err := tx.Exec(`INSERT INTO auth.user_email_otp_state (user_id, failures) VALUES (?, 1)
ON CONFLICT (user_id) DO UPDATE SET failures = auth.user_email_otp_state.failures + 1`, userID).Error
	if err != nil || !burn {
		return err
	}
	return ClearEmailOTP(tx, userID)
}

// ClearEmailOTP makes the user's code unusable.
func ClearEmailOTP(tx *gorm.DB, userID uuid.UUID) error {
	err := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"otp_hash": nil}).Error
	if err != nil {
		return err
	}
	return tx.Exec(`UPDATE auth.user_email_otp_state SET failures = 0 WHERE user_id = ?`, userID).Error
}
