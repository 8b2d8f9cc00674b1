package models

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Every statement on the OpenID Connect provider's tables (auth.oauth2_*,
// nhost's layout; migration 0104) is in this file, in the style of
// refresh.go. Times come from the caller's clock, never from now(). Codes
// and refresh tokens are only ever stored as hashes.

// OAuth2 client types, as nhost names them.
const (
	OAuth2ClientRegistered = "registered"
	OAuth2ClientCIMD       = "client_id_metadata_document"
)

// OAuth2Client is a row of auth.oauth2_clients.
type OAuth2Client struct {
	ClientID      string
	SecretHash    *string `json:"-"` // bcrypt; nil: a public client
	RedirectURIs  []string
	Scopes        []string
	Type          string
	Metadata      JSONMap
	FetchedAt     *time.Time // metadata_document_fetched_at
	CreatedByUser *uuid.UUID
}

// Public reports whether the client has no secret (and so must use PKCE).
func (c *OAuth2Client) Public() bool { return c.SecretHash == nil }

// textArray reads a text[] selected as JSON (array_to_json), which
// database/sql scans as text.
type textArray []string

func (a *textArray) Scan(src any) error {
	b, err := columnBytes(src)
	if err != nil || b == nil {
		*a = nil
		return err
	}
	return json.Unmarshal(b, (*[]string)(a))
}

const oauth2ClientColumns = `client_id, client_secret_hash, array_to_json(redirect_uris), array_to_json(scopes), type, metadata,
  metadata_document_fetched_at, created_by`

func scanOAuth2Client(row Scanner) (*OAuth2Client, error) {
	var c OAuth2Client
	err := row.Scan(&c.ClientID, &c.SecretHash, (*textArray)(&c.RedirectURIs), (*textArray)(&c.Scopes), &c.Type, &c.Metadata,
		&c.FetchedAt, &c.CreatedByUser)
	if err != nil {
		return nil, noRows(err)
	}
	return &c, nil
}

// FindOAuth2Client finds a client by its id.
func FindOAuth2Client(db *gorm.DB, clientID string) (*OAuth2Client, error) {
	return scanOAuth2Client(queryRow(db, `SELECT `+oauth2ClientColumns+` FROM auth.oauth2_clients WHERE client_id = $1`, clientID))
}

// ErrClientIDTaken: a registered client already has the id a client
// metadata document claims.
var ErrClientIDTaken = errors.New("a registered client has this client id")

// UpsertCIMDClient stores what a client metadata document says, fetched at
// at. It never overwrites a registered client of the same id.
func UpsertCIMDClient(db *gorm.DB, clientID string, redirectURIs, scopes []string, metadata JSONMap, at time.Time) (*OAuth2Client, error) {
	c, err := scanOAuth2Client(queryRow(db, `INSERT INTO auth.oauth2_clients
  (client_id, redirect_uris, scopes, type, metadata, metadata_document_fetched_at, created_at, updated_at)
VALUES ($1, $2::text[], $3::text[], $4, $5, $6, $6, $6)
ON CONFLICT (client_id) DO UPDATE SET redirect_uris = EXCLUDED.redirect_uris, scopes = EXCLUDED.scopes,
  metadata = EXCLUDED.metadata, metadata_document_fetched_at = EXCLUDED.metadata_document_fetched_at
WHERE auth.oauth2_clients.type = $4
RETURNING `+oauth2ClientColumns, clientID, redirectURIs, scopes, OAuth2ClientCIMD, metadata, at))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrClientIDTaken
	}
	return c, err
}

// --- authorization requests and codes ---

// OAuth2AuthRequest is a row of auth.oauth2_auth_requests.
type OAuth2AuthRequest struct {
	ID                  uuid.UUID
	ClientID            string
	Scopes              []string
	RedirectURI         string
	State, Nonce        *string
	ResponseType        string
	CodeChallenge       *string
	CodeChallengeMethod *string
	Resource            *string
	UserID              *uuid.UUID
	Done                bool
	AuthTime            *time.Time
	CreatedAt           time.Time
	ExpiresAt           time.Time
}

const oauth2AuthRequestColumns = `id, client_id, array_to_json(scopes), redirect_uri, state, nonce, response_type, code_challenge,
  code_challenge_method, resource, user_id, done, auth_time, created_at, expires_at`

func scanOAuth2AuthRequest(row Scanner) (*OAuth2AuthRequest, error) {
	var r OAuth2AuthRequest
	err := row.Scan(&r.ID, &r.ClientID, (*textArray)(&r.Scopes), &r.RedirectURI, &r.State, &r.Nonce, &r.ResponseType, &r.CodeChallenge,
		&r.CodeChallengeMethod, &r.Resource, &r.UserID, &r.Done, &r.AuthTime, &r.CreatedAt, &r.ExpiresAt)
	if err != nil {
		return nil, noRows(err)
	}
	return &r, nil
}

// InsertOAuth2AuthRequest stores r and sets its id.
func InsertOAuth2AuthRequest(db *gorm.DB, r *OAuth2AuthRequest) error {
	return queryRow(db, `INSERT INTO auth.oauth2_auth_requests (client_id, scopes, redirect_uri, state, nonce, response_type,
  code_challenge, code_challenge_method, resource, created_at, expires_at)
VALUES ($1, $2::text[], $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		r.ClientID, r.Scopes, r.RedirectURI, r.State, r.Nonce, r.ResponseType, r.CodeChallenge, r.CodeChallengeMethod, r.Resource,
		r.CreatedAt, r.ExpiresAt).Scan(&r.ID)
}

// FindOAuth2AuthRequest finds an authorization request by id.
func FindOAuth2AuthRequest(db *gorm.DB, id uuid.UUID) (*OAuth2AuthRequest, error) {
	return scanOAuth2AuthRequest(queryRow(db, `SELECT `+oauth2AuthRequestColumns+` FROM auth.oauth2_auth_requests WHERE id = $1`, id))
}

// CompleteOAuth2AuthRequest gives a pending, unexpired request its user and
// a code (its hash), in one statement: false when the request was done or
// expired meanwhile. The request is kept at least as long as the code.
func CompleteOAuth2AuthRequest(db *gorm.DB, id, userID uuid.UUID, at time.Time, codeHash string, codeExpiresAt time.Time) (bool, error) {
	n, err := exec(db, `WITH req AS (
  UPDATE auth.oauth2_auth_requests SET user_id = $2, done = true, auth_time = $3, expires_at = GREATEST(expires_at, $5)
  WHERE id = $1 AND NOT done AND expires_at > $3
  RETURNING id
)
INSERT INTO auth.oauth2_authorization_codes (code_hash, auth_request_id, created_at, expires_at)
SELECT $4, req.id, $3, $5 FROM req`, id, userID, at, codeHash, codeExpiresAt)
	return n == 1, err
}

// ConsumedCode is an authorization code as an exchange found it.
type ConsumedCode struct {
	AuthRequestID uuid.UUID
	ExpiresAt     time.Time
	// PreviouslyConsumed is when an earlier exchange took the code; nil the first time.
	PreviouslyConsumed *time.Time
}

// ConsumeOAuth2Code marks a code taken at at and returns it, locked for the
// rest of tx; a second exchange of the same code sees PreviouslyConsumed.
func ConsumeOAuth2Code(tx *gorm.DB, codeHash string, at time.Time) (*ConsumedCode, error) {
	var c ConsumedCode
	err := queryRow(tx, `WITH c AS (
  SELECT id, auth_request_id, expires_at, consumed_at FROM auth.oauth2_authorization_codes WHERE code_hash = $1 FOR UPDATE
)
UPDATE auth.oauth2_authorization_codes ac SET consumed_at = COALESCE(c.consumed_at, $2) FROM c WHERE ac.id = c.id
RETURNING c.auth_request_id, c.expires_at, c.consumed_at`, codeHash, at).Scan(&c.AuthRequestID, &c.ExpiresAt, &c.PreviouslyConsumed)
	if err != nil {
		return nil, noRows(err)
	}
	return &c, nil
}

// --- refresh tokens (one row per grant) ---

// OAuth2RefreshToken is a row of auth.oauth2_refresh_tokens: one grant
// of a client, whose token rotates.
type OAuth2RefreshToken struct {
	ID            uuid.UUID
	AuthRequestID *uuid.UUID
	ClientID      string
	UserID        uuid.UUID
	Scopes        []string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	Generation    int
	AuthTime      *time.Time
}

const oauth2RefreshColumns = `id, auth_request_id, client_id, user_id, array_to_json(scopes), created_at, expires_at, generation, auth_time`

func scanOAuth2RefreshToken(row Scanner) (*OAuth2RefreshToken, error) {
	var t OAuth2RefreshToken
	err := row.Scan(&t.ID, &t.AuthRequestID, &t.ClientID, &t.UserID, (*textArray)(&t.Scopes), &t.CreatedAt, &t.ExpiresAt, &t.Generation, &t.AuthTime)
	if err != nil {
		return nil, noRows(err)
	}
	return &t, nil
}

// InsertOAuth2RefreshToken starts a grant whose first token has hash; sets t.ID.
func InsertOAuth2RefreshToken(tx *gorm.DB, t *OAuth2RefreshToken, hash string) error {
	return queryRow(tx, `INSERT INTO auth.oauth2_refresh_tokens
  (token_hash, auth_request_id, client_id, user_id, scopes, created_at, expires_at, auth_time)
VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8) RETURNING id`,
		hash, t.AuthRequestID, t.ClientID, t.UserID, t.Scopes, t.CreatedAt, t.ExpiresAt, t.AuthTime).Scan(&t.ID)
}

// LockOAuth2RefreshTokenByHash finds the grant whose current token has hash, FOR UPDATE.
func LockOAuth2RefreshTokenByHash(tx *gorm.DB, hash string) (*OAuth2RefreshToken, error) {
	return scanOAuth2RefreshToken(queryRow(tx, `SELECT `+oauth2RefreshColumns+` FROM auth.oauth2_refresh_tokens
WHERE token_hash = $1 FOR UPDATE`, hash))
}

// FindOAuth2RefreshToken finds a grant by id.
func FindOAuth2RefreshToken(db *gorm.DB, id uuid.UUID) (*OAuth2RefreshToken, error) {
	return scanOAuth2RefreshToken(queryRow(db, `SELECT `+oauth2RefreshColumns+` FROM auth.oauth2_refresh_tokens WHERE id = $1`, id))
}

// FindOAuth2RefreshTokenByHash finds the grant whose current token has hash.
func FindOAuth2RefreshTokenByHash(db *gorm.DB, hash string) (*OAuth2RefreshToken, error) {
	return scanOAuth2RefreshToken(queryRow(db, `SELECT `+oauth2RefreshColumns+` FROM auth.oauth2_refresh_tokens WHERE token_hash = $1`, hash))
}

// LockOAuth2GrantByRetiredHash finds, FOR UPDATE, the grant one of whose
// retired tokens has hash.
func LockOAuth2GrantByRetiredHash(tx *gorm.DB, hash string) (*OAuth2RefreshToken, error) {
	return scanOAuth2RefreshToken(queryRow(tx, `SELECT `+oauth2RefreshColumns+` FROM auth.oauth2_refresh_tokens
WHERE id = (SELECT refresh_token_id FROM auth.oauth2_refresh_token_history WHERE token_hash = $1) FOR UPDATE`, hash))
}

// RotateOAuth2RefreshToken replaces a grant's current token (oldHash) by
// newHash, sliding its expiry to expiresAt, and keeps oldHash in the history
// so that a replay of it is recognised; generations older than keep
// rotations are forgotten. False: oldHash was no longer current.
func RotateOAuth2RefreshToken(tx *gorm.DB, id uuid.UUID, oldHash, newHash string, at, expiresAt time.Time, keep int) (bool, error) {
	n, err := exec(tx, `WITH cur AS (
  SELECT id, generation FROM auth.oauth2_refresh_tokens WHERE id = $1 AND token_hash = $2
), upd AS (
  UPDATE auth.oauth2_refresh_tokens rt SET token_hash = $3, generation = cur.generation + 1, expires_at = $5
  FROM cur WHERE rt.id = cur.id RETURNING rt.id
), prune AS (
  DELETE FROM auth.oauth2_refresh_token_history h USING cur
  WHERE h.refresh_token_id = cur.id AND h.generation <= cur.generation - $6
)
INSERT INTO auth.oauth2_refresh_token_history (token_hash, refresh_token_id, generation, rotated_at, expires_at)
SELECT $2, cur.id, cur.generation, $4, $5 FROM cur JOIN upd ON upd.id = cur.id`, id, oldHash, newHash, at, expiresAt, keep)
	return n == 1, err
}

// DeleteOAuth2RefreshToken revokes a grant (its history goes by cascade).
func DeleteOAuth2RefreshToken(db *gorm.DB, id uuid.UUID) (int64, error) {
	return exec(db, `DELETE FROM auth.oauth2_refresh_tokens WHERE id = $1`, id)
}

// DeleteOAuth2RefreshTokensOfRequest revokes the grants an authorization
// request (its code) led to.
func DeleteOAuth2RefreshTokensOfRequest(db *gorm.DB, authRequestID uuid.UUID) (int64, error) {
	return exec(db, `DELETE FROM auth.oauth2_refresh_tokens WHERE auth_request_id = $1`, authRequestID)
}

// Expired rows of the provider, in batches as janitor/ runs them ($1 the
// cut-off, $2 the batch size; see refresh.go's purge statements).
var PurgeExpiredOAuth2SQL = []string{
	`DELETE FROM auth.oauth2_refresh_token_history WHERE ctid IN (
  SELECT ctid FROM auth.oauth2_refresh_token_history WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
	`DELETE FROM auth.oauth2_refresh_tokens WHERE ctid IN (
  SELECT ctid FROM auth.oauth2_refresh_tokens WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
	`DELETE FROM auth.oauth2_authorization_codes WHERE ctid IN (
  SELECT ctid FROM auth.oauth2_authorization_codes WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
	`DELETE FROM auth.oauth2_auth_requests WHERE ctid IN (
  SELECT ctid FROM auth.oauth2_auth_requests WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
}
