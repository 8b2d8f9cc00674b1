package models

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// PersonalAccessToken is a row of auth.refresh_tokens of type pat, as listed
// to its owner (never with its hash).
type PersonalAccessToken struct {
	ID        uuid.UUID `gorm:"type:uuid;primaryKey"`
	CreatedAt time.Time
	ExpiresAt time.Time
	UserID    uuid.UUID `gorm:"type:uuid"`
	Metadata  JSONMap   `gorm:"type:jsonb"`
}

// TableName places the model in schema auth.
func (PersonalAccessToken) TableName() string { return "auth.refresh_tokens" }

// InsertPAT stores a PAT (its hash only).
func InsertPAT(db *gorm.DB, id, userID uuid.UUID, hash string, createdAt, expiresAt time.Time, metadata JSONMap) error {
	return db.Exec(`INSERT INTO auth.refresh_tokens (id, created_at, expires_at, user_id, metadata, type, refresh_token_hash)
VALUES (?, ?, ?, ?, ?, ?, ?)`, id, createdAt, expiresAt, userID, metadata, RefreshTokenPAT, hash).Error
}

// LockPATByHash finds a PAT by its hash, FOR SHARE: a revocation waits for a
// sign-in in progress, and the session it starts then goes with the PAT.
func LockPATByHash(tx *gorm.DB, hash string) (*PersonalAccessToken, error) {
	return first[PersonalAccessToken](tx.Clauses(clause.Locking{Strength: "SHARE"}).
		Where("refresh_token_hash = ? AND type = ?", hash, RefreshTokenPAT))
}

// InsertPATSession stores a regular session started with a PAT.
func InsertPATSession(db *gorm.DB, id, userID, patID uuid.UUID, hash string, createdAt, expiresAt time.Time) error {
	return db.Exec(`INSERT INTO auth.refresh_tokens (id, created_at, expires_at, user_id, type, refresh_token_hash, pat_id)
VALUES (?, ?, ?, ?, ?, ?, ?)`, id, createdAt, expiresAt, userID, RefreshTokenRegular, hash, patID).Error
}

// ListPATs returns a user's PATs, newest first.
func ListPATs(db *gorm.DB, userID uuid.UUID) ([]PersonalAccessToken, error) {
	var out []PersonalAccessToken
	err := db.Where("user_id = ? AND type = ?", userID, RefreshTokenPAT).Order("created_at DESC, id").Find(&out).Error
	return out, err
}

// DeletePAT deletes one of the user's PATs; sessions started with it go by cascade.
func DeletePAT(db *gorm.DB, userID, id uuid.UUID) (int64, error) {
	res := db.Exec(`DELETE FROM auth.refresh_tokens WHERE id = ? AND user_id = ? AND type = ?`, id, userID, RefreshTokenPAT)
	return res.RowsAffected, res.Error
}
