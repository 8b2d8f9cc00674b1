package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/rollback"
	"github.com/hasura-auth-go/auth/server"
)

func prepareRollback(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("prepare-rollback", "Readies the database for nhost's hasura-auth to take over again (stop this\nserver first): writes TOTP secrets sealed under AUTH_ENCRYPTION_KEY back in\nclear, as hasura-auth keeps them, and counts what hasura-auth will not use.\nReads the server's configuration (env and .env). See docs/migrating-from-hasura-auth.md.", out)
	envFile := fs.String("env-file", ".env", "dotenv file to read besides the environment")
	dryRun := fs.Bool("dry-run", false, "change nothing; only report")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*envFile, nil)
	if err != nil {
		return err
	}
	box, err := cfg.Keyring()
	if err != nil {
		return err
	}
	db, err := server.OpenDB(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	r, err := rollback.Prepare(ctx, db, box, *dryRun)
	if err != nil {
		return err
	}
	verb := "written back in clear"
	if *dryRun {
		verb = "to write back in clear (dry run: nothing changed)"
	}
	fmt.Fprintf(out, "TOTP secrets %s: %d\n", verb, r.TOTPSecretsOpened)
	fmt.Fprintf(out, "hasura-auth will not use (the rows stay):\n")
	fmt.Fprintf(out, "  signing keys of this server (auth.jwt_signing_keys): %d\n", r.SigningKeys)
	fmt.Fprintf(out, "  audit events (auth.audit_log): %d\n", r.AuditEvents)
	fmt.Fprintf(out, "  rotated refresh tokens remembered for replay detection: %d\n", r.RotationHistory)
	fmt.Fprintf(out, "  \"sign out everywhere\" marks (access tokens issued before them verify again until they expire): %d\n", r.SessionEpochs)
	fmt.Fprintf(out, "  email links and MFA tickets outstanding (stored hashed; they stop working): %d\n", r.PendingTickets)
	return nil
}
