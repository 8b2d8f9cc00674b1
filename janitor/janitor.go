// Package janitor deletes what has expired: refresh tokens (sessions and
// PATs), retired refresh token generations, tickets, WebAuthn challenges,
// abandoned provider sign-ins, the OpenID Connect provider's requests, codes
// and grants, and audit rows past their retention. It runs in the background on every instance and on demand
// (POST /sessions/purge-expired).
//
// Every statement touches at most one batch of rows, picked with FOR UPDATE
// SKIP LOCKED: instances running at the same time take different rows and
// never wait for each other, nor for a request holding a row (a refresh
// locks its session; a sign-in locks its user), and each batch commits on
// its own, so locks are short.
package janitor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/webauthn"
	"gorm.io/gorm"
)

// Janitor purges expired rows.
type Janitor struct {
	db        *gorm.DB
	now       func() time.Time
	log       *slog.Logger
	batch     int
	interval  time.Duration
	retention time.Duration
}

// Options configure a Janitor.
type Options struct {
	DB        *gorm.DB
	Now       func() time.Time // nil = time.Now
	Log       *slog.Logger
	BatchSize int           // rows per statement
	Interval  time.Duration // between background runs; 0 = no background runs
	Retention time.Duration // audit log; 0 = keep forever
}

// New returns a Janitor; Start runs it in the background.
func New(o Options) *Janitor {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	return &Janitor{db: o.DB, now: o.Now, log: o.Log, batch: o.BatchSize, interval: o.Interval, retention: o.Retention}
}

// Result counts what one run removed.
type Result struct {
	RefreshTokens       int64 `json:"refreshTokens"`       // sessions and PATs past expires_at
	RefreshTokenHistory int64 `json:"refreshTokenHistory"` // retired generations past expires_at
	Tickets             int64 `json:"tickets"`             // users whose expired ticket was cleared
	AuditLog            int64 `json:"auditLog"`            // audit rows older than the retention
	WebAuthnChallenges  int64 `json:"webauthnChallenges"`  // WebAuthn ceremonies past their timeout, finished or not
	ProviderRequests    int64 `json:"providerRequests"`    // provider sign-ins never finished
	OAuth2              int64 `json:"oauth2"`              // the OpenID Connect provider's requests, codes, grants and retired tokens past expires_at
}

// Total is the number of rows touched.
func (r Result) Total() int64 {
	return r.RefreshTokens + r.RefreshTokenHistory + r.Tickets + r.AuditLog + r.WebAuthnChallenges + r.ProviderRequests + r.OAuth2
}

// One statement per kind: $1 is the cut-off, $2 the batch size. Each picks
// its rows by ctid (the physical row) so the outer statement hits exactly
// the rows its subquery locked. Sessions and their history are purged by
// the statements of models/refresh.go, the owner of those tables.
const (
	// Tickets live in columns of auth.users (hasura-auth's layout): clear them.
	purgeTickets = `UPDATE auth.users SET ticket = NULL WHERE ctid IN (
  SELECT ctid FROM auth.users WHERE ticket IS NOT NULL AND ticket_expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`
	purgeAuditLog = `DELETE FROM auth.audit_log WHERE ctid IN (
  SELECT ctid FROM auth.audit_log WHERE created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`
	// Provider sign-ins abandoned at the provider (social/); rows without
	// expires_at are not ours.
	purgeProviderRequests = `DELETE FROM auth.provider_requests WHERE ctid IN (
  SELECT ctid FROM auth.provider_requests WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`
)

// RunOnce purges everything expired now, batch after batch, until nothing is
// left or ctx ends. Rows another instance holds are skipped; that instance
// deletes them.
func (j *Janitor) RunOnce(ctx context.Context) (Result, error) {
	var res Result
	db, err := j.db.DB()
	if err != nil {
		return res, fmt.Errorf("janitor: %w", err)
	}
	now := j.now()
	steps := []struct {
		sql   string
		at    time.Time
		count *int64
	}{
		// History first: deleting a session cascades to its history anyway,
		// but expired history of live sessions is the bulk.
		{models.PurgeExpiredHistorySQL, now, &res.RefreshTokenHistory},
		{models.PurgeExpiredRefreshTokensSQL, now, &res.RefreshTokens},
		{purgeTickets, now, &res.Tickets},
		{webauthn.PurgeExpiredChallengesSQL, now, &res.WebAuthnChallenges},
		{purgeProviderRequests, now, &res.ProviderRequests},
	}
	for _, q := range models.PurgeExpiredOAuth2SQL {
		steps = append(steps, struct {
			sql   string
			at    time.Time
			count *int64
		}{q, now, &res.OAuth2})
	}
	if j.retention > 0 {
		steps = append(steps, struct {
			sql   string
			at    time.Time
			count *int64
		}{purgeAuditLog, now.Add(-j.retention), &res.AuditLog})
	}
	for _, st := range steps {
		for {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			r, err := db.ExecContext(ctx, st.sql, st.at, j.batch)
			if err != nil {
				return res, fmt.Errorf("janitor: %w", err)
			}
			n, err := r.RowsAffected()
			if err != nil {
				return res, fmt.Errorf("janitor: %w", err)
			}
			*st.count += n
			if n < int64(j.batch) {
				break
			}
		}
	}
	return res, nil
}

// Start runs the janitor every interval until ctx ends or stop is called;
// stop waits for a run in progress to notice and return.
func (j *Janitor) Start(ctx context.Context) (stop func()) {
	if j.interval <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(j.interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			res, err := j.RunOnce(ctx)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				// The database may be down; the next tick tries again.
				j.log.Warn("janitor run failed", "error", err.Error())
			case res.Total() > 0:
				j.log.Info("janitor purged expired rows", "refresh_tokens", res.RefreshTokens,
					"refresh_token_history", res.RefreshTokenHistory, "tickets", res.Tickets, "audit_log", res.AuditLog,
					"webauthn_challenges", res.WebAuthnChallenges, "provider_requests", res.ProviderRequests, "oauth2", res.OAuth2)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
