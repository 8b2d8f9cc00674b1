package models

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Refresh token types, as seeded in auth.refresh_token_types.
const (
	RefreshTokenRegular = "regular"
	RefreshTokenPAT     = "pat"
)

// RefreshToken is a row of auth.refresh_tokens: one session. Its ID is the
// client's refreshTokenId and stays the same across rotations.
type RefreshToken struct {
	ID               uuid.UUID `gorm:"type:uuid;primaryKey"`
	CreatedAt        time.Time
	ExpiresAt        time.Time
	UserID           uuid.UUID `gorm:"type:uuid"`
	Metadata         JSONMap   `gorm:"type:jsonb"`
	Type             string
	RefreshTokenHash string `json:"-"`
	Generation       int
}

// TableName places the model in schema auth.
func (RefreshToken) TableName() string { return "auth.refresh_tokens" }

// RefreshTokenHistory is a retired generation of a session's token.
type RefreshTokenHistory struct {
	TokenHash       string    `gorm:"primaryKey" json:"-"`
	RefreshTokenID  uuid.UUID `gorm:"type:uuid"`
	Generation      int
	RotatedAt       time.Time
	ExpiresAt       time.Time
	NextTokenSealed []byte `json:"-"`
}

// TableName places the model in schema auth.
func (RefreshTokenHistory) TableName() string { return "auth.refresh_token_history" }

// LockRefreshTokenByHash finds the session whose current token has this hash, FOR UPDATE.
func LockRefreshTokenByHash(tx *gorm.DB, hash, typ string) (*RefreshToken, error) {
	return first[RefreshToken](tx.Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("refresh_token_hash = ? AND type = ?", hash, typ))
}

// LockRefreshTokenByID locks a session row.
func LockRefreshTokenByID(tx *gorm.DB, id uuid.UUID) (*RefreshToken, error) {
	return first[RefreshToken](tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id))
}

// FindHistoryByHash finds a retired token.
func FindHistoryByHash(db *gorm.DB, hash string) (*RefreshTokenHistory, error) {
	return first[RefreshTokenHistory](db.Where("token_hash = ?", hash))
}

// DeleteRefreshToken ends one session (its history goes with it by cascade).
func DeleteRefreshToken(db *gorm.DB, id uuid.UUID) (int64, error) {
	res := db.Where("id = ?", id).Delete(&RefreshToken{})
	return res.RowsAffected, res.Error
}

// DeleteUserRefreshTokens ends every session of a user, PATs included.
func DeleteUserRefreshTokens(db *gorm.DB, userID uuid.UUID) (int64, error) {
	res := db.Where("user_id = ?", userID).Delete(&RefreshToken{})
	return res.RowsAffected, res.Error
}
