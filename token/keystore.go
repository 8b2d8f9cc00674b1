package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-jose/go-jose/v4"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/secretbox"
)

// keyLock serialises key creation and rotation across instances (distinct
// from the migration lock).
const keyLock int64 = 0x4a75746b65797321

// expiryMargin keeps a retired key published a little past the last token it
// signed, for clients whose clocks run behind.
const expiryMargin = time.Minute

// KeyStore keeps generated signing keys in auth.jwt_signing_keys. A key is
// published from created_at, signs from activates_at until retires_at, and
// leaves the JWKS at expires_at. Rotation publishes a new key one JWKS
// max-age before it signs, so a client that refetches as Cache-Control says
// knows every key before it sees a token signed with it; the old key stays
// published until every token it signed has expired. The rows in the
// database decide the schedule, so every instance agrees on it.
type KeyStore struct {
	db          *gorm.DB
	keyring     *secretbox.Box
	algorithm   string
	maxAge      time.Duration
	tokenTTL    time.Duration
	rotateEvery time.Duration
	now         func() time.Time
	log         *slog.Logger
}

// NewKeyStore is for tools (the CLI) that manage keys without serving.
func NewKeyStore(db *gorm.DB, keyring *secretbox.Box, algorithm string, maxAge, tokenTTL time.Duration, log *slog.Logger) *KeyStore {
	return &KeyStore{db: db, keyring: keyring, algorithm: algorithm, maxAge: maxAge, tokenTTL: tokenTTL, now: time.Now, log: log}
}

// liveKey is a key row with its parsed key pair.
type liveKey struct {
	row     models.JWTSigningKey
	public  crypto.PublicKey
	private crypto.Signer
}

func (k *liveKey) publishedAt(now time.Time) bool {
	return !k.row.CreatedAt.After(now) && (k.row.ExpiresAt == nil || now.Before(*k.row.ExpiresAt))
}

func (k *liveKey) signingAt(now time.Time) bool {
	return !k.row.ActivatesAt.After(now) && (k.row.RetiresAt == nil || now.Before(*k.row.RetiresAt))
}

// reloadEvery bounds how long an instance may miss a rotation made elsewhere;
// well under max-age, since a new key signs only max-age after it appears.
func (ks *KeyStore) reloadEvery() time.Duration {
	d := ks.maxAge / 4
	if d > time.Minute {
		d = time.Minute
	}
	if d < time.Second {
		d = time.Second
	}
	return d
}

// selectSigning picks the newest active key.
func selectSigning(keys []liveKey, now time.Time) *liveKey {
	var best *liveKey
	for i := range keys {
		k := &keys[i]
		if k.signingAt(now) && (best == nil || k.row.ActivatesAt.After(best.row.ActivatesAt)) {
			best = k
		}
	}
	return best
}

// nextEvent is when the key state must be recomputed: the next activation,
// retirement or expiry, or the reload period, whichever comes first.
func nextEvent(keys []liveKey, now time.Time, every time.Duration) time.Time {
	next := now.Add(every)
	consider := func(t *time.Time) {
		if t != nil && t.After(now) && t.Before(next) {
			next = *t
		}
	}
	for i := range keys {
		r := &keys[i].row
		consider(&r.ActivatesAt)
		consider(r.RetiresAt)
		consider(r.ExpiresAt)
	}
	return next
}

// Init prepares the store at start: every live key must decrypt (keys sealed
// under a previous master key, or stored in clear while a master key is now
// set, are sealed again under the current one), and a signing key must exist.
// It returns the key it created, if any.
func (ks *KeyStore) Init(ctx context.Context) (*models.JWTSigningKey, error) {
	var created *models.JWTSigningKey
	err := ks.locked(ctx, func(tx *gorm.DB) error {
		rows, err := ks.liveRows(tx)
		if err != nil {
			return err
		}
		for i := range rows {
			if _, err := ks.openAndReseal(tx, &rows[i]); err != nil {
				return err
			}
		}
		if ks.keyring == nil {
			ks.log.Warn("AUTH_ENCRYPTION_KEY is not set: signing keys are stored unencrypted in auth.jwt_signing_keys")
		}
		now := ks.now()
		var active, pending *models.JWTSigningKey
		for i := range rows {
			r := &rows[i]
			signing := !r.ActivatesAt.After(now) && (r.RetiresAt == nil || now.Before(*r.RetiresAt))
			if signing && (active == nil || r.ActivatesAt.After(active.ActivatesAt)) {
				active = r
			}
			if r.ActivatesAt.After(now) && r.Algorithm == ks.algorithm {
				pending = r
			}
		}
		switch {
		case active == nil:
			// Nothing signs yet (first start): sign at once, nobody has cached a JWKS.
			created, err = ks.insert(tx, ks.algorithm, now)
			return err
		case active.Algorithm != ks.algorithm && pending == nil:
			// AUTH_JWT_ALGORITHM changed: switch like a rotation, without a gap.
			created, err = ks.rotate(tx, ks.algorithm, now)
			return err
		}
		return nil
	})
	return created, err
}

// Live returns the keys that are still published or will be, decrypted.
func (ks *KeyStore) Live(ctx context.Context) ([]liveKey, error) {
	rows, err := ks.liveRows(ks.db.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	out := make([]liveKey, 0, len(rows))
	for i := range rows {
		k, err := ks.open(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	return out, nil
}

// List returns every key row, newest first (private parts left sealed).
func (ks *KeyStore) List(ctx context.Context) ([]models.JWTSigningKey, error) {
	var rows []models.JWTSigningKey
	err := ks.db.WithContext(ctx).Order("created_at DESC").Find(&rows).Error
	return rows, err
}

// Rotate publishes a new key of algorithm alg (the configured one when
// empty) that starts signing after ActivationDelay.
func (ks *KeyStore) Rotate(ctx context.Context, alg string) (*models.JWTSigningKey, error) {
	if alg == "" {
		alg = ks.algorithm
	}
	var created *models.JWTSigningKey
	err := ks.locked(ctx, func(tx *gorm.DB) error {
		var err error
		created, err = ks.rotate(tx, alg, ks.now())
		return err
	})
	return created, err
}

// RotateIfDue rotates when automatic rotation is on, the signing key is older
// than the interval and no successor is scheduled yet. The check repeats under
// the lock, so instances racing here rotate once.
func (ks *KeyStore) RotateIfDue(ctx context.Context) error {
	if ks.rotateEvery <= 0 {
		return nil
	}
	due := func(db *gorm.DB) (bool, error) {
		now := ks.now()
		var n int64
		// Due when no key has activated or will activate within the interval.
		err := db.Model(&models.JWTSigningKey{}).Where("activates_at > ?", now.Add(-ks.rotateEvery)).Count(&n).Error
		return n == 0, err
	}
	if ok, err := due(ks.db.WithContext(ctx)); err != nil || !ok {
		return err
	}
	return ks.locked(ctx, func(tx *gorm.DB) error {
		if ok, err := due(tx); err != nil || !ok {
			return err
		}
		k, err := ks.rotate(tx, ks.algorithm, ks.now())
		if err == nil {
			ks.log.Info("rotated signing key", "kid", k.ID, "alg", k.Algorithm, "signs_from", k.ActivatesAt)
		}
		return err
	})
}

// ActivationDelay is how long a new key is published before it signs: one
// max-age, so every JWKS cached before the key appeared has expired, plus
// one reload period, since other instances may serve the old set that long.
func (ks *KeyStore) ActivationDelay() time.Duration { return ks.maxAge + ks.reloadEvery() }

func (ks *KeyStore) rotate(tx *gorm.DB, alg string, now time.Time) (*models.JWTSigningKey, error) {
	activates := now.Add(ks.ActivationDelay())
	expires := activates.Add(ks.tokenTTL + expiryMargin)
	// Whatever would sign at or after the new key's activation retires then.
	if err := tx.Model(&models.JWTSigningKey{}).
		Where("retires_at IS NULL OR retires_at > ?", activates).
		Updates(map[string]any{"retires_at": activates, "expires_at": expires}).Error; err != nil {
		return nil, fmt.Errorf("retire signing keys: %w", err)
	}
	return ks.insert(tx, alg, activates)
}

func (ks *KeyStore) insert(tx *gorm.DB, alg string, activates time.Time) (*models.JWTSigningKey, error) {
	row, err := GenerateKey(alg)
	if err != nil {
		return nil, err
	}
	row.CreatedAt, row.ActivatesAt = ks.now(), activates
	if row.PrivateKey, err = ks.keyring.Seal([]byte(row.PrivateKey), []byte(row.ID)); err != nil {
		return nil, err
	}
	if err := tx.Create(row).Error; err != nil {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	return row, nil
}

func (ks *KeyStore) liveRows(db *gorm.DB) ([]models.JWTSigningKey, error) {
	var rows []models.JWTSigningKey
	err := db.Where("expires_at IS NULL OR expires_at > ?", ks.now()).Order("activates_at").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	return rows, nil
}

func (ks *KeyStore) locked(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return ks.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", keyLock).Error; err != nil {
			return err
		}
		return fn(tx)
	})
}

// privatePEM returns a row's private key in clear, explaining any failure by
// the key's id and the master key involved.
func (ks *KeyStore) privatePEM(r *models.JWTSigningKey) (pemText []byte, stale bool, err error) {
	plain, stale, err := ks.keyring.OpenStale(r.PrivateKey, []byte(r.ID))
	switch {
	case errors.Is(err, secretbox.ErrNoKey):
		return nil, false, fmt.Errorf("signing key %s is encrypted (master key %s) but AUTH_ENCRYPTION_KEY is not set",
			r.ID, secretbox.SealedWith(r.PrivateKey))
	case errors.Is(err, secretbox.ErrUnknownKey):
		return nil, false, fmt.Errorf("signing key %s was encrypted with master key %s, which is neither AUTH_ENCRYPTION_KEY (%s) nor in AUTH_ENCRYPTION_KEY_PREVIOUS",
			r.ID, secretbox.SealedWith(r.PrivateKey), ks.keyring.CurrentID())
	case err != nil:
		return nil, false, fmt.Errorf("signing key %s could not be decrypted: %w", r.ID, err)
	}
	return plain, stale, nil
}

func (ks *KeyStore) open(r *models.JWTSigningKey) (*liveKey, error) {
	plain, _, err := ks.privatePEM(r)
	if err != nil {
		return nil, err
	}
	priv, err := parsePrivatePEM(plain)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", r.ID, err)
	}
	return &liveKey{row: *r, public: priv.Public(), private: priv}, nil
}

// openAndReseal checks that a key opens and stores it sealed under the
// current master key when it is not already.
func (ks *KeyStore) openAndReseal(tx *gorm.DB, r *models.JWTSigningKey) (*liveKey, error) {
	plain, stale, err := ks.privatePEM(r)
	if err != nil {
		return nil, err
	}
	k, err := ks.open(r)
	if err != nil {
		return nil, err
	}
	if stale {
		sealed, err := ks.keyring.Seal(plain, []byte(r.ID))
		if err != nil {
			return nil, err
		}
		if err := tx.Model(r).Update("private_key", sealed).Error; err != nil {
			return nil, fmt.Errorf("re-encrypt signing key %s: %w", r.ID, err)
		}
		ks.log.Info("signing key re-encrypted under the current master key", "kid", r.ID, "master_key", ks.keyring.CurrentID())
	}
	return k, nil
}

// GenerateKey makes a key pair for alg as a row (private key in clear PEM).
func GenerateKey(alg string) (*models.JWTSigningKey, error) {
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "RS256", "PS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "RS384":
		priv, err = rsa.GenerateKey(rand.Reader, 3072)
	case "RS512":
		priv, err = rsa.GenerateKey(rand.Reader, 4096)
	default:
		return nil, fmt.Errorf("unsupported signing algorithm %q", alg)
	}
	if err != nil {
		return nil, err
	}
	privPEM, pubPEM, err := EncodePEM(priv)
	if err != nil {
		return nil, err
	}
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return nil, err
	}
	return &models.JWTSigningKey{ID: kid, Algorithm: alg, PublicKey: pubPEM, PrivateKey: privPEM}, nil
}

// EncodePEM writes a private key as PKCS#8 and its public key as PKIX.
func EncodePEM(priv crypto.Signer) (privPEM, pubPEM string, err error) {
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", "", err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})), nil
}

func parsePrivatePEM(b []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("private key is not PEM")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, errors.New("private key cannot sign")
	}
	return signer, nil
}

// thumbprint is the RFC 7638 kid: stable and derived from public data only.
func thumbprint(pub crypto.PublicKey) (string, error) {
	t, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return b64(t), nil
}

// Now is the store's clock.
func (ks *KeyStore) Now() time.Time { return ks.now() }

// KeyState names where a key is in its life at now.
func KeyState(r models.JWTSigningKey, now time.Time) string {
	switch {
	case r.ExpiresAt != nil && !now.Before(*r.ExpiresAt):
		return "expired"
	case r.RetiresAt != nil && !now.Before(*r.RetiresAt):
		return "retired"
	case r.ActivatesAt.After(now):
		return "pending"
	}
	return "signing"
}
