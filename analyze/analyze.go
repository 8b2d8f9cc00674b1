// Package analyze keeps PostgreSQL's statistics of the auth tables fresh
// when autovacuum, which would otherwise do it, is off.
//
// Why it matters: a table analysed while small (a new deployment, a test
// run) has statistics saying a sequential scan is cheapest. Plans made from
// them are kept: the foreign-key checks of every insert (a new session or
// role row checks its user) and our prepared statements keep scanning
// auth.users whole as it grows, until the next ANALYZE replans them.
// Measured: anonymous sign-in fell from 2 160 to 600 per second within 15 s
// of an ANALYZE of a 40-user table, with 3 scans of auth.users per sign-in
// (BENCHMARKS.md, round 3). Autovacuum re-analyses a table after 50 rows +
// 10% of it change; without it nothing does, so this package does the same
// for the tables of schema auth.
package analyze

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
)

// Interval is how often the tables' change counters are read.
const Interval = 5 * time.Second

// lockKey serialises the instances' runs (an advisory lock held for one
// transaction, so it works through a transaction pooler).
const lockKey = 0x616e616c797a65 // "analyze"

// staleSQL lists the auth tables changed by more than autovacuum's default
// threshold since their last ANALYZE (autovacuum_analyze_threshold 50,
// autovacuum_analyze_scale_factor 0.1), as quoted names. Only tables this
// role may analyse (it owns them or the database, or is a superuser): on
// others ANALYZE only warns, and would do so every run.
const staleSQL = `SELECT s.relid::regclass::text FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname = 'auth' AND s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0)
  AND (pg_has_role(c.relowner, 'USAGE')
    OR pg_has_role((SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE'))
ORDER BY 1`

// RunOnce analyses the auth tables that changed enough since their last
// ANALYZE and returns their names. Another instance's run in progress makes
// it return at once with none.
func RunOnce(ctx context.Context, db *gorm.DB) ([]string, error) {
	var done []string
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var got bool
		if err := tx.Raw(`SELECT pg_try_advisory_xact_lock(?)`, lockKey).Scan(&got).Error; err != nil {
			return err
		}
		if !got {
			return nil
		}
		var stale []string
		if err := tx.Raw(staleSQL).Scan(&stale).Error; err != nil {
			return err
		}
		for _, t := range stale {
			// t comes from regclass::text: quoted as an identifier.
			if err := tx.Exec("ANALYZE " + t).Error; err != nil {
				return fmt.Errorf("analyze %s: %w", t, err)
			}
			done = append(done, t)
		}
		return nil
	})
	return done, err
}

// Start runs RunOnce every Interval until ctx ends or stop is called, if
// autovacuum is off; otherwise it does nothing.
func Start(ctx context.Context, db *gorm.DB, log *slog.Logger) (stop func()) {
	var autovacuum string
	if err := db.WithContext(ctx).Raw(`SELECT current_setting('autovacuum')`).Scan(&autovacuum).Error; err != nil || autovacuum != "off" {
		return func() {}
	}
	log.Info("autovacuum is off: the server analyses the auth tables as they change (VACUUM is left to you)")
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			tables, err := RunOnce(ctx, db)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				log.Warn("analyse auth tables", "error", err.Error())
			case len(tables) > 0:
				log.Debug("analysed auth tables", "tables", tables)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
