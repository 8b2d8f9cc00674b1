package models

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// TOTPState is a row of auth.user_totp_state: replay and lockout bookkeeping
// for one user's TOTP codes.
type TOTPState struct {
	UserID          uuid.UUID `gorm:"type:uuid;primaryKey"`
	LastUsedStep    int64
	Failures        int
	WindowStartedAt *time.Time
	LockedUntil     *time.Time
}

// TableName places the model in schema auth.
func (TOTPState) TableName() string { return "auth.user_totp_state" }

// LockTOTPState returns the user's state FOR UPDATE, creating it when absent.
// Call inside a transaction.
func LockTOTPState(tx *gorm.DB, userID uuid.UUID) (*TOTPState, error) {
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&TOTPState{UserID: userID}).Error; err != nil {
		return nil, err
	}
	return first[TOTPState](tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("user_id = ?", userID))
}

// SaveTOTPState writes every field of st.
func SaveTOTPState(tx *gorm.DB, st *TOTPState) error {
	return tx.Model(st).Select("*").Updates(st).Error
}

// SetUserTicket stores a (hashed) ticket and its expiry on the user.
func SetUserTicket(db *gorm.DB, userID uuid.UUID, stored string, expiresAt time.Time) error {
	return db.Model(&User{}).Where("id = ?", userID).
		Updates(map[string]any{"ticket": stored, "ticket_expires_at": expiresAt}).Error
}

// LockUserByTicket loads, FOR UPDATE, the user holding an unexpired ticket.
func LockUserByTicket(tx *gorm.DB, stored string, now time.Time) (*User, error) {
	return first[User](tx.Preload("Roles").Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("ticket = ? AND ticket_expires_at > ?", stored, now))
}

// ClearUserTicket makes the user's ticket unusable.
func ClearUserTicket(tx *gorm.DB, userID uuid.UUID, now time.Time) error {
	return tx.Model(&User{}).Where("id = ?", userID).
		Updates(map[string]any{"ticket": nil, "ticket_expires_at": now}).Error
}

// SetUserTOTP writes the user's TOTP secret and active MFA type (nil clears).
func SetUserTOTP(tx *gorm.DB, userID uuid.UUID, secret, activeType *string) error {
	return tx.Model(&User{}).Where("id = ?", userID).
		Updates(map[string]any{"totp_secret": secret, "active_mfa_type": activeType}).Error
}

// SetPendingTOTPSecret stores a new, not yet active, TOTP secret. It changes
// nothing and returns false when the user has TOTP active: the active
// secret is only replaced by deactivating first.
func SetPendingTOTPSecret(db *gorm.DB, userID uuid.UUID, secret string) (bool, error) {
	res := db.Model(&User{}).Where("id = ? AND active_mfa_type IS DISTINCT FROM ?", userID, "totp").
		Update("totp_secret", secret)
	return res.RowsAffected > 0, res.Error
}
