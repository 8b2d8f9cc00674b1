package webauthn

import (
	"crypto/sha256"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Ceremony kinds, as stored in auth.webauthn_challenges.ceremony.
const (
	ceremonySignUp  = "sign-up"
	ceremonySignIn  = "sign-in"
	ceremonyAddKey  = "add-key"
	ceremonyElevate = "elevate"
)

// challengeRow is what a finish step gets back from a begin step.
type challengeRow struct {
	Ceremony   string
	UserID     *uuid.UUID
	Session    string
	SignUp     *string
	ExpiresAt  time.Time
	ConsumedAt *time.Time
}

// pendingSignUp is the user a sign-up will create, kept with its challenge.
type pendingSignUp struct {
	UserID      uuid.UUID       `json:"userId"`
	Email       string          `json:"email"`
	DisplayName string          `json:"displayName"`
	Options     json.RawMessage `json:"options,omitempty"`
}

// bytea is a []byte parameter that gorm passes whole: a bare []byte right
// after "(" is expanded into a list, as for IN (?).
type bytea []byte

func (b bytea) Value() (driver.Value, error) { return []byte(b), nil }

func challengeHash(challenge []byte) bytea {
	h := sha256.Sum256(challenge)
	return h[:]
}

func saveChallenge(tx *gorm.DB, challenge []byte, ceremony string, userID *uuid.UUID, session []byte, signUp []byte, now, expires time.Time) error {
	var pending any // NULL unless a sign-up
	if signUp != nil {
		pending = string(signUp)
	}
	return tx.Exec(`INSERT INTO auth.webauthn_challenges
  (challenge_hash, ceremony, user_id, session, sign_up, created_at, expires_at)
VALUES (?, ?, ?, ?::jsonb, ?::jsonb, ?, ?)`,
		challengeHash(challenge), ceremony, userID, string(session), pending, now, expires).Error
}

// consumeChallenge marks the challenge used, if it is unused, unexpired and
// was issued for this ceremony (and this user, when userID is set), in one
// statement: of two finishes racing with one challenge, one wins. Otherwise
// it says which of those it is not.
func consumeChallenge(tx *gorm.DB, challenge []byte, ceremony string, userID *uuid.UUID, now time.Time) (*challengeRow, error) {
	hash := challengeHash(challenge)
	var rows []challengeRow
	err := tx.Raw(`UPDATE auth.webauthn_challenges SET consumed_at = @now
WHERE challenge_hash = @hash AND ceremony = @ceremony
  AND (CAST(@user AS uuid) IS NULL OR user_id = @user)
  AND consumed_at IS NULL AND expires_at > @now
RETURNING ceremony, user_id, session::text AS session, sign_up::text AS sign_up, expires_at, consumed_at`,
		map[string]any{"now": now, "hash": hash, "ceremony": ceremony, "user": userID}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("consume challenge: %w", err)
	}
	if len(rows) == 1 {
		return &rows[0], nil
	}
	var found []challengeRow
	if err := tx.Raw(`SELECT ceremony, user_id, expires_at, consumed_at FROM auth.webauthn_challenges
WHERE challenge_hash = ?`, hash).Scan(&found).Error; err != nil {
		return nil, fmt.Errorf("read challenge: %w", err)
	}
	switch {
	case len(found) == 0:
		return nil, ErrChallengeUnknown
	case found[0].ConsumedAt != nil:
		return nil, ErrChallengeUsed
	case found[0].Ceremony != ceremony:
		return nil, refuse(ErrChallengeMismatch, "issued for %s, presented to %s", found[0].Ceremony, ceremony)
	case userID != nil && (found[0].UserID == nil || *found[0].UserID != *userID):
		return nil, refuse(ErrChallengeMismatch, "issued for another user")
	default:
		return nil, ErrChallengeExpired
	}
}

// PurgeExpiredChallengesSQL deletes one batch of expired challenges,
// finished or not: $1 is the time now, $2 the batch size. The janitor runs
// it with the other purges.
const PurgeExpiredChallengesSQL = `DELETE FROM auth.webauthn_challenges WHERE ctid IN (
  SELECT ctid FROM auth.webauthn_challenges WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`

// purgeChallenges deletes one batch of expired challenges; see
// Service.PurgeChallenges.
func purgeChallenges(tx *gorm.DB, now time.Time, batch int) (int64, error) {
	res := tx.Exec(PurgeExpiredChallengesSQL, now, batch)
	return res.RowsAffected, res.Error
}

// keyRow is a row of auth.user_security_keys with our details, if any.
type keyRow struct {
	ID                  uuid.UUID
	UserID              uuid.UUID
	CredentialID        string
	CredentialPublicKey []byte
	Counter             int64
	Transports          string
	Nickname            *string
	CreatedAt           *time.Time
	LastUsedAt          *time.Time
	BackupEligible      *bool // nil: no details yet (a key hasura-auth registered)
	BackupState         *bool
	UserVerified        *bool
}

const selectKeys = `SELECT k.id, k.user_id, k.credential_id, k.credential_public_key, k.counter, k.transports, k.nickname,
  d.created_at, d.last_used_at, d.backup_eligible, d.backup_state, d.user_verified
FROM auth.user_security_keys k LEFT JOIN auth.webauthn_key_details d ON d.key_id = k.id`

func keysOf(tx *gorm.DB, userID uuid.UUID) ([]keyRow, error) {
	var rows []keyRow
	err := tx.Raw(selectKeys+` WHERE k.user_id = ? ORDER BY d.created_at NULLS FIRST, k.credential_id`, userID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load security keys: %w", err)
	}
	return rows, nil
}

func keyByID(tx *gorm.DB, userID, keyID uuid.UUID) (*keyRow, error) {
	var rows []keyRow
	if err := tx.Raw(selectKeys+` WHERE k.id = ? AND k.user_id = ?`, keyID, userID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("load security key: %w", err)
	}
	if len(rows) == 0 {
		return nil, ErrKeyNotFound
	}
	return &rows[0], nil
}

// keyByCredentialID finds the key whatever base64 spelling its row uses;
// hasura-auth writes unpadded base64url, the others cost nothing to match.
func keyByCredentialID(tx *gorm.DB, raw []byte) (*keyRow, error) {
	var rows []keyRow
	if err := tx.Raw(selectKeys+` WHERE k.credential_id IN ?`, credentialIDSpellings(raw)).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find security key: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

func credentialIDSpellings(raw []byte) []string {
	return []string{
		base64.RawURLEncoding.EncodeToString(raw),
		base64.URLEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw),
		base64.StdEncoding.EncodeToString(raw),
	}
}

// decodeCredentialID reads credential_id: base64url as hasura-auth writes
// it, or standard base64, padded or not.
func decodeCredentialID(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	enc := base64.RawURLEncoding
	if strings.ContainsAny(s, "+/") {
		enc = base64.RawStdEncoding
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, errors.New("empty credential id")
	}
	return b, nil
}

// newKey is a verified credential about to be stored.
type newKey struct {
	userID            uuid.UUID
	credentialID      []byte
	publicKey         []byte
	counter           uint32
	transports        string
	nickname          string
	backupEligible    bool
	backupState       bool
	userVerified      bool
	aaguid            *uuid.UUID
	attestationFormat string
}

// insertKey stores a key as hasura-auth would (credential_id unpadded
// base64url, credential_public_key the COSE key) and our details with it.
// A credential ID that is already registered yields ErrCredentialInUse.
func insertKey(tx *gorm.DB, k newKey, now time.Time) (uuid.UUID, error) {
	var nickname *string
	if k.nickname != "" {
		nickname = &k.nickname
	}
	var ids []uuid.UUID
	err := tx.Raw(`WITH k AS (
  INSERT INTO auth.user_security_keys (user_id, credential_id, credential_public_key, counter, transports, nickname)
  VALUES (@user, @cred, @pk, @counter, @transports, @nickname)
  ON CONFLICT (credential_id) DO NOTHING
  RETURNING id)
INSERT INTO auth.webauthn_key_details (key_id, created_at, backup_eligible, backup_state, user_verified, aaguid, attestation_format)
SELECT id, @now, @be, @bs, @uv, @aaguid, @fmt FROM k
RETURNING key_id`, map[string]any{
		"user": k.userID, "cred": base64.RawURLEncoding.EncodeToString(k.credentialID), "pk": bytea(k.publicKey),
		"counter": int64(k.counter), "transports": k.transports, "nickname": nickname, "now": now,
		"be": k.backupEligible, "bs": k.backupState, "uv": k.userVerified, "aaguid": k.aaguid, "fmt": k.attestationFormat,
	}).Scan(&ids).Error
	if err != nil {
		return uuid.Nil, fmt.Errorf("insert security key: %w", err)
	}
	if len(ids) == 0 {
		return uuid.Nil, ErrCredentialInUse
	}
	return ids[0], nil
}

// recordUse stores the counter and flags of a successful assertion. The
// counter only moves up: of two assertions racing with one key, the one
// carrying the lower count loses, as a regression.
func recordUse(tx *gorm.DB, key *keyRow, counter uint32, be, bs, uv bool, now time.Time) (bool, error) {
	res := tx.Exec(`UPDATE auth.user_security_keys SET counter = @c
WHERE id = @id AND (counter < @c OR (counter = 0 AND @c = 0))`, map[string]any{"c": int64(counter), "id": key.ID})
	if res.Error != nil {
		return false, fmt.Errorf("store sign counter: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	err := tx.Exec(`INSERT INTO auth.webauthn_key_details (key_id, last_used_at, backup_eligible, backup_state, user_verified)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (key_id) DO UPDATE SET last_used_at = EXCLUDED.last_used_at,
  backup_state = EXCLUDED.backup_state, user_verified = EXCLUDED.user_verified`,
		key.ID, now, be, bs, uv).Error
	if err != nil {
		return false, fmt.Errorf("store key details: %w", err)
	}
	return true, nil
}

// storedCounter is the counter column as the uint32 authenticators count in.
func (k *keyRow) storedCounter() uint32 {
	switch {
	case k.Counter < 0:
		return 0
	case k.Counter > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(k.Counter)
}
