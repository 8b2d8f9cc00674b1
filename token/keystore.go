package token

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v4"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
)

// keyLock serialises key creation across instances (distinct from the migration lock).
const keyLock int64 = 0x4a75746b65797321

// loadOrCreateKey returns the active generated Ed25519 key, creating it on the
// first start. The database decides, so every instance signs with the same key.
func loadOrCreateKey(ctx context.Context, db *gorm.DB) (key *models.JWTSigningKey, created bool, err error) {
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", keyLock).Error; err != nil {
			return err
		}
		var rows []models.JWTSigningKey
		if err := tx.Where("algorithm = ? AND activates_at <= now() AND (retires_at IS NULL OR retires_at > now())", "EdDSA").
			Order("activates_at DESC").Limit(1).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 1 {
			key = &rows[0]
			return nil
		}
		k, err := newEd25519Key()
		if err != nil {
			return err
		}
		if err := tx.Create(k).Error; err != nil {
			return err
		}
		key, created = k, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("load signing key: %w", err)
	}
	return key, created, nil
}

func newEd25519Key() (*models.JWTSigningKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	// kid = RFC 7638 thumbprint: stable, and derived from public data only.
	thumb, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(cryptoSHA256)
	if err != nil {
		return nil, err
	}
	return &models.JWTSigningKey{
		ID:         b64(thumb),
		Algorithm:  "EdDSA",
		PublicKey:  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})),
		PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})),
	}, nil
}

func parseStoredKey(k *models.JWTSigningKey) (ed25519.PublicKey, ed25519.PrivateKey, error) {
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		return nil, nil, fmt.Errorf("signing key %s: private key is not PEM", k.ID)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	priv, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, nil, errors.New("signing key " + k.ID + ": not an Ed25519 key")
	}
	return priv.Public().(ed25519.PublicKey), priv, nil
}
