package models

import "time"

// JWTSigningKey is a row of auth.jwt_signing_keys: a key pair the server
// generated because no HASURA_GRAPHQL_JWT_SECRET was configured.
type JWTSigningKey struct {
	ID          string `gorm:"primaryKey"`
	Algorithm   string
	PublicKey   string
	PrivateKey  string    `json:"-"`
	CreatedAt   time.Time `gorm:"default:now()"`
	ActivatesAt time.Time `gorm:"default:now()"`
	RetiresAt   *time.Time
	ExpiresAt   *time.Time
}

// TableName places the model in schema auth.
func (JWTSigningKey) TableName() string { return "auth.jwt_signing_keys" }
