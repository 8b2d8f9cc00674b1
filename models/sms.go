package models

import (
	"database/sql"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Sign-in by SMS (smsauth/). A user is found by phone number in E.164: the
// row holding it as written, else (numbers hasura-auth stored as the client
// typed them) the oldest row that reads as it once spaces, dashes, dots and
// brackets are dropped (index users_phone_number_e164_idx). Numbers stored
// without their + and country code are not found.
const (
	phoneMatch = `(phone_number = @n OR regexp_replace(phone_number, '[^0-9+]', '', 'g') = @n)`
	phoneOrder = `phone_number = @n DESC, created_at, id`
)

// FindUserByPhone looks a user up by phone number (E.164), with roles.
func FindUserByPhone(db *gorm.DB, e164 string) (*User, error) {
	n := sql.Named("n", e164)
	return first[User](db.Preload("Roles").Where(phoneMatch, n).
		Order(clause.OrderBy{Expression: clause.NamedExpr{SQL: phoneOrder, Vars: []any{n}}}))
}

// SMSOTP is the SMS code of the user a phone number names, as stored.
type SMSOTP struct {
	UserID    uuid.UUID
	Hash      *string // bcrypt, or Twilio Verify's placeholder; nil: no code
	ExpiresAt time.Time
	Method    *string // otp_method_last_used: "sms" for an SMS code
	Failures  int
}

const (
	smsUserQuery = `SELECT id FROM auth.users WHERE ` + phoneMatch + ` ORDER BY ` + phoneOrder + ` LIMIT 1`
	smsOTPQuery  = `SELECT u.id AS user_id, u.otp_hash AS hash, u.otp_hash_expires_at AS expires_at,
  u.otp_method_last_used AS method, COALESCE(s.failures, 0) AS failures
FROM auth.users u LEFT JOIN auth.user_sms_otp_state s ON s.user_id = u.id
WHERE u.id = `
)

// FindSMSOTP reads the code of the user with this phone number without
// locking it; ErrNotFound when no user has the number.
func FindSMSOTP(db *gorm.DB, e164 string) (*SMSOTP, error) {
	return scanSMSOTP(db.Raw(smsOTPQuery+`(`+smsUserQuery+`)`, sql.Named("n", e164)))
}

// LockSMSOTP is FindSMSOTP with the user row locked (FOR UPDATE) until the
// transaction ends: guesses at one user's code queue, and each is counted.
// The code is read by a second statement, once the lock is held: one that
// waited on the lock would otherwise see the count as its snapshot had it,
// before the guesses it waited for.
func LockSMSOTP(tx *gorm.DB, e164 string) (*SMSOTP, error) {
	var ids []uuid.UUID
	if err := tx.Raw(smsUserQuery+` FOR UPDATE`, sql.Named("n", e164)).Scan(&ids).Error; err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, ErrNotFound
	}
	return scanSMSOTP(tx.Raw(smsOTPQuery+`?`, ids[0]))
}

func scanSMSOTP(q *gorm.DB) (*SMSOTP, error) {
	var rows []SMSOTP
	if err := q.Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	return &rows[0], nil
}

// SetSMSOTP stores a new code for the user, as hasura-auth does
// (otp_method_last_used = method), and resets the count of wrong codes.
// ErrNotFound: the user is gone.
func SetSMSOTP(tx *gorm.DB, userID uuid.UUID, hash string, expiresAt time.Time, method string) error {
	res := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{
		"otp_hash": hash, "otp_hash_expires_at": expiresAt, "otp_method_last_used": method,
	})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return tx.Exec(`INSERT INTO auth.user_sms_otp_state (user_id, failures) VALUES (?, 0)
ON CONFLICT (user_id) DO UPDATE SET failures = 0`, userID).Error
}

// RecordSMSOTPFailure counts a wrong code; clear makes the code unusable too.
func RecordSMSOTPFailure(tx *gorm.DB, userID uuid.UUID, clear bool) error {
	err := tx.Exec(`INSERT INTO auth.user_sms_otp_state (user_id, failures) VALUES (?, 1)
ON CONFLICT (user_id) DO UPDATE SET failures = auth.user_sms_otp_state.failures + 1`, userID).Error
	if err != nil || !clear {
		return err
	}
	return tx.Model(&User{}).Where("id = ?", userID).Update("otp_hash", nil).Error
}

// AcceptSMSOTP uses the code up and marks the phone number verified, as
// hasura-auth does on a right code (it also ends the code's validity).
func AcceptSMSOTP(tx *gorm.DB, userID uuid.UUID, now time.Time) error {
	err := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{
		"otp_hash": nil, "otp_hash_expires_at": now, "phone_number_verified": true,
	}).Error
	if err != nil {
		return err
	}
	return tx.Exec(`UPDATE auth.user_sms_otp_state SET failures = 0 WHERE user_id = ?`, userID).Error
}
