package social

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/oauth/providers"
)

// A sign-in request in flight is a row of auth.provider_requests (migration
// 0101): written when the browser leaves for the provider, deleted when its
// callback arrives (or by the janitor once expired), so each is used once.

// RequestTTL is how long a user has at the provider: long enough to sign in
// there and consent, short enough that a leaked state is soon worthless.
const RequestTTL = 10 * time.Minute

// request is what the callback needs, kept in the row's options (jsonb).
// No secret is stored in clear but Pending without AUTH_ENCRYPTION_KEY: the
// state and the browser binding are stored as hashes.
type request struct {
	Provider   string                 `json:"provider"`
	RedirectTo string                 `json:"redirectTo"`
	Options    *account.SignUpOptions `json:"options,omitempty"`
	// ConnectUserID: the request links the provider account to this user
	// (connect) rather than signing in.
	ConnectUserID *uuid.UUID `json:"connectUserId,omitempty"`
	// Binding is the hex SHA-256 of the browser's binding cookie; "" when
	// the request is not bound to a browser.
	Binding string `json:"binding,omitempty"`
	// Pending is providers.Pending as JSON, sealed with the row's id when a
	// key is set.
	Pending string `json:"pending"`
	// State is the application's state, for its redirect.
	State string `json:"state,omitempty"`
}

// newSecret is 256 random bits, URL-safe: states and binding cookies.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics if the OS cannot give randomness)
	return base64.RawURLEncoding.EncodeToString(b)
}

// requestID is the row of a state: a UUID made of the state's SHA-256, so
// the state itself is never stored.
func requestID(state string) uuid.UUID {
	sum := sha256.Sum256([]byte("provider-request\x00" + state))
	var id uuid.UUID
	copy(id[:], sum[:16])
	id[6] = id[6]&0x0f | 0x80 // version 8: custom
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id
}

func bindingHash(cookie string) string {
	sum := sha256.Sum256([]byte("provider-binding\x00" + cookie))
	return hex.EncodeToString(sum[:])
}

// boundTo says whether cookie is the browser binding r was started with.
func (r *request) boundTo(cookie string) bool {
	if r.Binding == "" {
		return true
	}
	return cookie != "" && subtle.ConstantTimeCompare([]byte(bindingHash(cookie)), []byte(r.Binding)) == 1
}

// sealPending keeps p for the callback of request id.
func (s *Service) sealPending(id uuid.UUID, p providers.Pending) (string, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	return s.secrets.Seal(raw, id[:])
}

func (s *Service) openPending(id uuid.UUID, stored string) (providers.Pending, error) {
	var p providers.Pending
	raw, err := s.secrets.Open(stored, id[:])
	if err != nil {
		return p, fmt.Errorf("open the pending request: %w", err)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("decode the pending request: %w", err)
	}
	return p, nil
}

func saveRequest(db *gorm.DB, id uuid.UUID, r *request, expiresAt time.Time) error {
	options, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return db.Exec(`INSERT INTO auth.provider_requests (id, options, expires_at) VALUES (?, ?::jsonb, ?)`,
		id, string(options), expiresAt).Error
}

// errNoRequest: no request of ours has that id (never made, used, or
// purged).
var errNoRequest = errors.New("no such provider request")

// takeRequest deletes request id and returns it with its expiry, whether
// or not it has expired: a request is consumed by its first callback.
func takeRequest(db *gorm.DB, id uuid.UUID) (*request, time.Time, error) {
	var (
		options   []byte
		expiresAt time.Time
	)
	err := db.Raw(`DELETE FROM auth.provider_requests WHERE id = ? AND expires_at IS NOT NULL RETURNING options, expires_at`, id).
		Row().Scan(&options, &expiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, errNoRequest
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	var r request
	if err := json.Unmarshal(options, &r); err != nil {
		return nil, time.Time{}, fmt.Errorf("decode provider request: %w", err)
	}
	return &r, expiresAt, nil
}
