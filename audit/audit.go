// Package audit records security events in auth.audit_log: who (user id),
// what (an event type and a small detail object), from where (IP, user
// agent, request id) and when. It never records a secret: no password,
// token, ticket, code or hash goes into an event.
//
// Three write paths, chosen per call:
//
//   - Recorder.Log(ctx, tx, e) with tx non-nil writes the row in the caller's
//     transaction: it commits or rolls back with the change it describes,
//     so a crash after the commit loses none. Every change that has a
//     transaction records this way: sign-ups, sign-ins (the session they
//     start), admin actions, MFA, password and email changes, sign-out
//     everywhere.
//   - Recorder.Row(ctx, e) prepares the row for a statement of the caller's
//     that writes the change itself (the batched anonymous sign-ups:
//     session/batched.go), through InsertFromJSON.
//   - Recorder.Log(ctx, nil, e) queues the row; a background writer inserts
//     queued rows in batches (one statement per batch). Only for events
//     with no change of the caller's to commit with (failures, a signing
//     key rotation, which the key store commits itself). The queue
//     is bounded: when it is full, or the database refuses a batch, rows
//     are dropped and counted in a warning, never blocking a request; a
//     crash loses what is queued.
//
// The services that record hold the Recorder. Request details (IP, user
// agent, request id) travel in ctx: the HTTP layer adds them with
// WithRequest; an event recorded outside a request has none.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Type names an event; the value is stored in auth.audit_log.event.
type Type string

// Event types. Add new ones here so operators find them in one list.
const (
	SignUp           Type = "sign-up"             // detail: method (email-password | anonymous | passwordless-email | otp-email | sms | webauthn | provider/<name> | idtoken/<name>)
	SignIn           Type = "sign-in"             // detail: method (email-password | totp | pat | webauthn | provider/<name> | idtoken/<name>)
	SignInFailed     Type = "sign-in-failed"      // detail: method, reason (error code); email when given
	SignUpFailed     Type = "sign-up-failed"      // refused after checks (e.g. email-already-in-use); detail: method, reason
	RefreshReuse     Type = "refresh-token-reuse" // a rotated token was replayed; detail: refreshTokenId, or clientId and grantId (applications)
	SignOut          Type = "sign-out"            // one session; detail: refreshTokenId
	SignOutAll       Type = "sign-out-all"        // every session of the user, by the user
	PasswordChanged  Type = "password-changed"    // reset or change
	EmailChanged     Type = "email-changed"       // confirmed change; detail: from, to
	EmailVerified    Type = "email-verified"
	MFAEnabled       Type = "mfa-enabled"     // detail: type
	MFADisabled      Type = "mfa-disabled"    // detail: type
	PATCreated       Type = "pat-created"     // detail: patId
	PATRevoked       Type = "pat-revoked"     // detail: patId
	Deanonymized     Type = "deanonymized"    // anonymous user got an email and password
	ProviderLinked   Type = "provider-linked" // a provider account now signs in to the user; detail: provider, by (email | connect)
	AdminUserCreated Type = "admin.user-created"
	AdminUserUpdated Type = "admin.user-updated" // detail: disabled, defaultRole, roles as changed
	AdminUserDeleted Type = "admin.user-deleted" // detail: email
	AdminSignOutAll  Type = "admin.sign-out-all" // every session of the user, by an operator
	AdminKeysRotated Type = "admin.keys-rotated" // detail: kid, algorithm

	// Security keys and passkeys (package passkeys). Sign-ups, sign-ins and
	// their failures use the types above with method webauthn.
	SecurityKeyAdded   Type = "security-key-added"   // detail: keyId
	SecurityKeyRenamed Type = "security-key-renamed" // detail: keyId
	SecurityKeyRemoved Type = "security-key-removed" // detail: keyId
	// A key's signature counter did not grow: it may have been cloned.
	// detail: keyId, stored, presented, ceremony (sign-in | elevate).
	SecurityKeyCounterRegression Type = "security-key-counter-regression"

	// The OpenID Connect provider (package oidcprovider).
	OAuth2Authorized Type = "oauth2.authorized" // the user let an application sign them in; detail: clientId, scopes
)

// Actor says who acted. The default is the user the event is about (or an
// anonymous caller, for a failed sign-in).
const (
	ActorUser   = "user"
	ActorAdmin  = "admin" // HASURA_GRAPHQL_ADMIN_SECRET
	ActorSystem = "system"
)

// Event is one audit record. Detail must never hold a secret.
type Event struct {
	Type   Type
	UserID uuid.UUID // zero: unknown; then Email, when set, is looked up at write time
	Email  string    // the email an event is about or was tried with (stored in detail)
	Actor  string    // ActorUser when empty
	Detail map[string]any
}

// Request is what the HTTP layer knows about the caller.
type Request struct {
	IP        string
	UserAgent string
	RequestID string
}

type ctxKey struct{}

// WithRequest returns ctx carrying the caller's request details.
func WithRequest(ctx context.Context, req Request) context.Context {
	return context.WithValue(ctx, ctxKey{}, req)
}

func requestFrom(ctx context.Context) Request {
	if ctx == nil {
		return Request{}
	}
	req, _ := ctx.Value(ctxKey{}).(Request)
	return req
}

// Log records e: in tx when tx is non-nil, else through the queue. See the
// package comment for which to use. The error is only ever non-nil with tx;
// return it so the transaction rolls back rather than commit unaudited.
func (r *Recorder) Log(ctx context.Context, tx *gorm.DB, e Event) error {
	x := newRow(e, requestFrom(ctx), r.now())
	if tx != nil {
		return insert(tx, []row{x})
	}
	r.enqueue(x)
	return nil
}

// Row is an event ready for a statement of the caller's (InsertFromJSON).
type Row struct{ r row }

// Row prepares e, with ctx's request details, for a statement of the
// caller's that also writes the change it records.
func (r *Recorder) Row(ctx context.Context, e Event) Row {
	return Row{newRow(e, requestFrom(ctx), r.now())}
}

// RowsJSON encodes rows for the parameter of InsertFromJSON.
func RowsJSON(rows []Row) (string, error) {
	out := make([]row, len(rows))
	for i, x := range rows {
		out[i] = x.r
	}
	return encode(out)
}

// InsertFromJSON is the INSERT of the rows RowsJSON encoded, given as the
// statement parameter param ("$16"): a part of a caller's statement (a CTE),
// so the rows commit with its change.
func InsertFromJSON(param string) string { return strings.Replace(insertSQL, "$1", param, 1) }

// row is one auth.audit_log row as sent to jsonb_to_recordset.
type row struct {
	CreatedAt time.Time      `json:"created_at"`
	Event     string         `json:"event"`
	UserID    *uuid.UUID     `json:"user_id"`
	Email     string         `json:"email,omitempty"` // only to resolve user_id
	Actor     string         `json:"actor"`
	IP        *string        `json:"ip"`
	UserAgent *string        `json:"user_agent"`
	RequestID *string        `json:"request_id"`
	Metadata  map[string]any `json:"metadata"`
}

const maxUserAgent = 512

func newRow(e Event, req Request, at time.Time) row {
	r := row{CreatedAt: at, Event: string(e.Type), Actor: e.Actor, Metadata: map[string]any{}}
	if r.Actor == "" {
		r.Actor = ActorUser
	}
	if e.UserID != uuid.Nil {
		id := e.UserID
		r.UserID = &id
	}
	for k, val := range e.Detail {
		r.Metadata[k] = clean(val)
	}
	if e.Email != "" {
		email := cleanString(e.Email, 320)
		r.Metadata["email"] = email
		r.Email = email
	}
	if ip := net.ParseIP(req.IP); ip != nil {
		s := ip.String()
		r.IP = &s
	}
	if req.UserAgent != "" {
		ua := cleanString(req.UserAgent, maxUserAgent)
		r.UserAgent = &ua
	}
	if req.RequestID != "" {
		id := cleanString(req.RequestID, 64)
		r.RequestID = &id
	}
	return r
}

// cleanString makes s storable in text/jsonb: valid UTF-8, no NUL (which
// PostgreSQL refuses and would abort the caller's transaction), bounded.
func cleanString(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) > max {
		s = s[:max]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

func clean(v any) any {
	switch x := v.(type) {
	case string:
		return cleanString(x, 1024)
	case []string:
		out := make([]string, len(x))
		for i, s := range x {
			out[i] = cleanString(s, 1024)
		}
		return out
	}
	return v
}

// insertSQL writes a batch in one statement; $1 is the rows as a JSON
// array. A row without a user id but with an email gets the id of the user
// with that email, if any: failed sign-ins are attributed without a lookup
// on the request path. The lookup is a subquery run only for such rows, on
// the email index; a join there was planned as a scan of every user, for
// every batch.
const insertSQL = `INSERT INTO auth.audit_log (created_at, event, user_id, actor, ip, user_agent, request_id, metadata)
SELECT v.created_at, v.event,
  COALESCE(v.user_id, (SELECT u.id FROM auth.users u WHERE v.email IS NOT NULL AND u.email = v.email::citext)),
  v.actor, v.ip, v.user_agent, v.request_id, COALESCE(v.metadata, '{}')
FROM jsonb_to_recordset($1::jsonb) AS v(created_at timestamptz, event text, user_id uuid, email text, actor text,
  ip inet, user_agent text, request_id text, metadata jsonb)`

func encode(rows []row) (string, error) {
	b, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("encode audit rows: %w", err)
	}
	return string(b), nil
}

// insert writes rows in the caller's transaction.
func insert(tx *gorm.DB, rows []row) error {
	b, err := encode(rows)
	if err != nil {
		return err
	}
	if err := tx.Exec(strings.Replace(insertSQL, "$1", "?", 1), b).Error; err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// Recorder owns the queue and its background writer.
type Recorder struct {
	db      *sql.DB // the pool under GORM: background writes bypass GORM's per-statement hooks
	now     func() time.Time
	log     *slog.Logger
	queue   chan any // row or flushMark
	batch   int
	dropped atomic.Int64
	done    chan struct{}

	mu     sync.RWMutex // guards closed against sends on the closed queue
	closed bool
}

// Options configure a Recorder.
type Options struct {
	Now       func() time.Time // nil = time.Now
	Log       *slog.Logger
	QueueSize int // events waiting to be written; 0 = 4096
	BatchSize int // rows per INSERT at most; 0 = 200
}

type flushMark chan struct{}

// NewRecorder starts the background writer; Close stops it.
func NewRecorder(db *gorm.DB, o Options) (*Recorder, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 4096
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 200
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("audit recorder: %w", err)
	}
	r := &Recorder{db: sqlDB, now: o.Now, log: o.Log, queue: make(chan any, o.QueueSize), batch: o.BatchSize, done: make(chan struct{})}
	go r.run()
	return r, nil
}

func (r *Recorder) enqueue(x row) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return
	}
	select {
	case r.queue <- x:
	default:
		// Never block a request on the audit log.
		r.dropped.Add(1)
	}
}

// run writes what is queued in batches: it waits for one row, then for at
// most linger (or until the batch is full, or a Flush asks) for others, so
// that a stream of sign-ins costs a few INSERTs and commits a second rather
// than one each; these events were already only in memory until written.
func (r *Recorder) run() {
	defer close(r.done)
	var marks []flushMark
	buf := make([]row, 0, r.batch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for first := range r.queue {
		buf, marks = r.add(buf[:0], marks[:0], first)
		timer.Reset(linger)
	collect:
		for len(buf) < r.batch && len(marks) == 0 {
			select {
			case x, ok := <-r.queue:
				if !ok {
					break collect
				}
				buf, marks = r.add(buf, marks, x)
			case <-timer.C:
				break collect
			}
		}
		timer.Stop()
		r.write(buf)
		for _, m := range marks {
			close(m)
		}
	}
}

// linger is how long a queued event may wait for others to share its INSERT.
const linger = 100 * time.Millisecond

func (r *Recorder) add(buf []row, marks []flushMark, x any) ([]row, []flushMark) {
	switch v := x.(type) {
	case row:
		buf = append(buf, v)
	case flushMark:
		marks = append(marks, v)
	}
	return buf, marks
}

func (r *Recorder) write(buf []row) {
	if len(buf) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		b, err := encode(buf)
		if err == nil {
			_, err = r.db.ExecContext(ctx, insertSQL, b)
		}
		cancel()
		if err != nil {
			r.dropped.Add(int64(len(buf)))
			r.log.Warn("audit events not written", "count", len(buf), "error", err.Error())
		}
	}
	if n := r.dropped.Swap(0); n > 0 {
		r.log.Warn("audit events dropped", "count", n)
	}
}

// Flush waits until every event queued before it is written (or dropped).
func (r *Recorder) Flush(ctx context.Context) error {
	m := make(flushMark)
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return nil
	}
	select {
	case r.queue <- m:
	case <-ctx.Done():
		r.mu.RUnlock()
		return ctx.Err()
	}
	r.mu.RUnlock()
	select {
	case <-m:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting events, writes those queued and returns when done
// or when ctx ends.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue) // run() writes what remains, then ends
	}
	r.mu.Unlock()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
