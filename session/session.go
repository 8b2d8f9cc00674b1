// Package session starts, rotates and ends sessions: rows of
// auth.refresh_tokens and the access tokens issued with them.
package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/token"
)

// keepGenerations is how many retired generations per session stay
// recognisable as replays; older ones are simply invalid.
const keepGenerations = 16

// Service manages sessions.
type Service struct {
	db          *gorm.DB
	tokens      *token.Service
	now         func() time.Time
	ttl         time.Duration
	reuseWindow time.Duration
	patMax      time.Duration
	log         *slog.Logger
	audit       *audit.Recorder
	epochs      *epochCache
	pats        *patCache
	subscribers []Subscriber // what the LISTEN connection feeds: epochs and pats first, then Subscribe's
	batched     *batched     // the hot statements (batched.go)
}

// Options configure a Service.
type Options struct {
	DB          *gorm.DB
	Tokens      *token.Service
	Now         func() time.Time
	TTL         time.Duration // refresh token lifetime, sliding
	ReuseWindow time.Duration // how long a just-rotated token still yields the rotation's result
	Log         *slog.Logger
	Audit       *audit.Recorder // sign-outs, refresh token replays
	// PATMaxLifetime bounds a PAT's expiresAt from its creation; 0: a year.
	PATMaxLifetime time.Duration
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Audit == nil {
		return nil, errors.New("session: an audit recorder is required")
	}
	if o.PATMaxLifetime <= 0 {
		o.PATMaxLifetime = 365 * 24 * time.Hour
	}
	sqlDB, err := o.DB.DB()
	if err != nil {
		return nil, err
	}
	epochs, pats := newEpochCache(), newPATCache()
	return &Service{db: o.DB, tokens: o.Tokens, now: o.Now, ttl: o.TTL, reuseWindow: o.ReuseWindow, patMax: o.PATMaxLifetime, log: o.Log, audit: o.Audit,
		epochs: epochs, pats: pats, subscribers: []Subscriber{epochs, pats}, batched: newBatched(sqlDB)}, nil
}

// Close stops the batch runners, after the statements they are running;
// call it before closing the database.
func (s *Service) Close() { s.batched.close() }

// Issued is a session as handed to a client.
type Issued struct {
	AccessToken    string
	ExpiresIn      int64
	RefreshToken   string
	RefreshTokenID uuid.UUID
	User           *models.User
}

// Elevation says whether a session's first access token is elevated
// (token.Grant.Elevated): the flow starting it has just checked a password
// or a code.
type Elevation bool

const (
	NotElevated Elevation = false
	Elevated    Elevation = true
)

// Start creates a session for u inside tx (the caller's transaction, so a
// user and their first session are written together).
func (s *Service) Start(tx *gorm.DB, u *models.User, e Elevation) (*Issued, error) {
	now := s.now()
	refresh := uuid.NewString()
	id := models.NewRowID()
	if err := models.InsertSession(tx, id, u.ID, nil, HashToken(refresh), now, now.Add(s.ttl)); err != nil {
		return nil, fmt.Errorf("insert refresh token: %w", err)
	}
	// A user created in this transaction already carries the time (to the second).
	if u.LastSeen == nil || now.Sub(*u.LastSeen) > time.Second {
		if err := models.TouchLastSeen(tx, u.ID, now); err != nil {
			return nil, fmt.Errorf("touch last seen: %w", err)
		}
	}
	return s.issue(tx, u, id, refresh, token.Grant{At: now, Elevated: bool(e)})
}

// StartWithNewUser creates u with roles, its first session and the audit
// row of its sign-up by method in one statement (batched with other
// sign-ins: batched.go), then signs the access token.
func (s *Service) StartWithNewUser(ctx context.Context, u *models.User, roles []string, method string) (*Issued, error) {
	now := s.now()
	if u.ID == uuid.Nil {
		u.ID = uuid.New()
	}
	u.CreatedAt = now
	refresh := uuid.NewString()
	rt := &models.RefreshToken{ID: models.NewRowID(), ExpiresAt: now.Add(s.ttl), Type: models.RefreshTokenRegular, RefreshTokenHash: HashToken(refresh)}
	ev := s.audit.Row(ctx, audit.Event{Type: audit.SignUp, UserID: u.ID, Detail: map[string]any{"method": method}})
	if _, err := s.batched.newUsers.Do(ctx, &newUser{user: u, roles: roles, session: rt, audit: ev}); err != nil {
		return nil, err
	}
	u.CompleteInsert(roles)
	return s.issue(s.db.WithContext(ctx), u, rt.ID, refresh, token.Grant{At: now})
}

// issue signs the access token of a session. g.At is the time the session
// was read before its write (see token.Grant).
func (s *Service) issue(tx *gorm.DB, u *models.User, id uuid.UUID, refresh string, g token.Grant) (*Issued, error) {
	access, expiresIn, err := s.tokens.Issue(tx.Statement.Context, tx, u, g)
	if err != nil {
		return nil, err
	}
	return &Issued{AccessToken: access, ExpiresIn: expiresIn, RefreshToken: refresh, RefreshTokenID: id, User: u}, nil
}

// Refresh rotates a refresh token. See the comments inside for the three cases.
func (s *Service) Refresh(ctx context.Context, presented string) (*Issued, error) {
	if _, err := uuid.Parse(presented); err != nil {
		return nil, apierr.New(apierr.InvalidRefreshToken)
	}
	hash := HashToken(presented)
	out, err := s.rotateCurrent(ctx, presented, hash)
	if err != nil || out != nil {
		return out, err
	}
	// The fast path found no current, live token of an active user: find out
	// why, under locks.
	var revoked *models.RefreshToken
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		// 1. The current token: rotate it. Concurrent callers queue on the
		// row lock; once the winner commits, the hash no longer matches and
		// they fall through to case 2.
		rt, err := models.LockRefreshTokenByHash(tx, hash, models.RefreshTokenRegular)
		if err == nil {
			if !now.Before(rt.ExpiresAt) {
				return apierr.New(apierr.InvalidRefreshToken)
			}
			if _, err := s.activeUser(tx, rt.UserID); err != nil {
				return err
			}
			// The fast path's statement, now under the row lock and the
			// checks above: it finds the token current.
			next, r, err := s.rotation(presented, hash, now)
			if err != nil {
				return err
			}
			rotated, err := models.Rotate(tx, []models.Rotation{r})
			if err != nil {
				return fmt.Errorf("rotate refresh token: %w", err)
			}
			got := rotated[0]
			if got == nil {
				return apierr.New(apierr.InvalidRefreshToken)
			}
			out, err = s.issue(tx, &got.User, got.SessionID, next, token.Grant{At: now, PAT: got.PATID})
			return err
		}
		if !errors.Is(err, models.ErrNotFound) {
			return err
		}

		// 2. A retired token. The generation just rotated, within the reuse
		// window: the caller lost a race with another tab, so hand it the
		// same token the winner got. Anything else is a replay: revoke.
		h, err := models.FindHistoryByHash(tx, hash)
		if errors.Is(err, models.ErrNotFound) {
			// 3. Unknown, expired and purged, or too old to remember.
			return apierr.New(apierr.InvalidRefreshToken)
		}
		if err != nil {
			return err
		}
		rt, err = models.LockRefreshTokenByID(tx, h.RefreshTokenID)
		if errors.Is(err, models.ErrNotFound) {
			return apierr.New(apierr.InvalidRefreshToken)
		}
		if err != nil {
			return err
		}
		graceful := h.Generation == rt.Generation-1 && h.NextTokenSealed != nil &&
			now.Sub(h.RotatedAt) <= s.reuseWindow && now.Before(rt.ExpiresAt)
		if graceful {
			next, err := open(presented, []byte(hash), h.NextTokenSealed)
			if err == nil && HashToken(next) == rt.RefreshTokenHash {
				user, err := s.activeUser(tx, rt.UserID)
				if err != nil {
					return err
				}
				out, err = s.issue(tx, user, rt.ID, next, token.Grant{At: now, PAT: patOf(rt)})
				return err
			}
		}
		if _, err := models.DeleteRefreshToken(tx, rt.ID); err != nil {
			return err
		}
		revoked = rt
		// With the revocation it records.
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.RefreshReuse, UserID: rt.UserID, Actor: audit.ActorSystem,
			Detail: map[string]any{"refreshTokenId": rt.ID, "generation": rt.Generation}})
	})
	if err != nil {
		return nil, err
	}
	if revoked != nil {
		s.log.Warn("refresh token reuse detected: session revoked",
			"user_id", revoked.UserID, "refresh_token_id", revoked.ID, "generation", revoked.Generation)
		e := apierr.New(apierr.InvalidRefreshToken)
		e.Cause = ErrReuseDetected // counted by /metrics; the client sees only invalid-refresh-token
		return nil, e
	}
	return out, nil
}

// ErrReuseDetected is the cause of the invalid-refresh-token answered when a
// rotated token was replayed and its session revoked.
var ErrReuseDetected = errors.New("refresh token reuse detected")

// rotateCurrent is the common case in one statement and one round trip: the
// presented token is current, unexpired and its user active; rotate it and
// return the user. It returns nil (no error) when any of that is not so, and
// the caller looks closer. The row lock taken by the statement serialises
// concurrent refreshes of one session exactly as the slow path does: a
// waiting statement re-checks the hash after the winner commits, finds
// nothing, and its caller takes the slow path to the reuse window.
func (s *Service) rotateCurrent(ctx context.Context, presented, hash string) (*Issued, error) {
	now := s.now()
	next, r, err := s.rotation(presented, hash, now)
	if err != nil {
		return nil, err
	}
	// Batched with other refreshes (batched.go); nil: not current.
	got, err := s.batched.rotations.Do(ctx, r)
	if err != nil || got == nil {
		return nil, err
	}
	issued, err := s.issue(s.db.WithContext(ctx), &got.User, got.SessionID, next, token.Grant{At: now, PAT: got.PATID})
	if err != nil {
		// The rotation has committed but its token could not be signed (a
		// custom-claims function that raised, say): put the presented token
		// back, so a retry is a plain refresh, not a replay.
		if err := models.UndoRotation(s.db.WithContext(ctx), got.SessionID, hash, r.NewHash); err != nil {
			s.log.Error("undo refresh rotation", "refresh_token_id", got.SessionID, "error", err)
		}
		return nil, err
	}
	return issued, nil
}

// rotation prepares the rotation of the presented token (whose hash is
// hash) at now: the next token, and the statement's arguments with the
// next token sealed under the presented one, so that only a holder of the
// presented token can recover it within the reuse window.
func (s *Service) rotation(presented, hash string, now time.Time) (string, models.Rotation, error) {
	next := uuid.NewString()
	sealed, err := seal(presented, []byte(hash), next)
	if err != nil {
		return "", models.Rotation{}, fmt.Errorf("seal rotated token: %w", err)
	}
	return next, models.Rotation{OldHash: hash, NewHash: HashToken(next), At: now, ExpiresAt: now.Add(s.ttl), Keep: keepGenerations, Sealed: sealed}, nil
}

func (s *Service) activeUser(tx *gorm.DB, id uuid.UUID) (*models.User, error) {
	u, err := models.FindUserByID(tx, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.New(apierr.InvalidRefreshToken)
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, apierr.New(apierr.DisabledUser)
	}
	return u, nil
}

// SignOut ends the session a refresh token belongs to, current or just
// rotated. Unknown tokens are not an error: signing out is idempotent.
func (s *Service) SignOut(ctx context.Context, presented string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ended, err := models.SignOutSession(tx, HashToken(presented))
		if err != nil {
			return err
		}
		for _, e := range ended { // written with the deletion
			if err := s.audit.Log(ctx, tx, audit.Event{Type: audit.SignOut, UserID: e.UserID, Detail: map[string]any{"refreshTokenId": e.ID}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// SignOutAll is in epoch.go: it also refuses the access tokens already issued.
