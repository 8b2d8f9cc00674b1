// Package cli holds the command-line tools beside the server: secrets and
// key pairs for HASURA_GRAPHQL_JWT_SECRET, and management of the signing
// keys the server generates.
package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/migrations"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/secretbox"
	"github.com/hasura-auth-go/auth/server"
	"github.com/hasura-auth-go/auth/token"
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, out io.Writer) error
}

var commands = []command{
	{"serve", "run the server (the default)", nil},
	{"gen-secret", "print a random HS secret and its HASURA_GRAPHQL_JWT_SECRET", genSecret},
	{"gen-keys", "print a PEM key pair and its HASURA_GRAPHQL_JWT_SECRET", genKeys},
	{"rotate-keys", "publish a new signing key; it signs after AUTH_JWKS_MAX_AGE", rotateKeys},
	{"list-keys", "list the signing keys kept in the database", listKeys},
	{"prepare-rollback", "ready the database for hasura-auth to take over again", prepareRollback},
}

// IsCommand reports whether args name a tool rather than the server.
func IsCommand(args []string) bool {
	if len(args) == 0 || args[0] == "serve" {
		return false
	}
	return true
}

// Run runs the tool args name; it returns the process exit code.
func Run(ctx context.Context, args []string, out, errOut io.Writer) int {
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		usage(out)
		return 0
	}
	for _, c := range commands {
		if c.name == name && c.run != nil {
			err := c.run(ctx, args[1:], out)
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			if err != nil {
				fmt.Fprintln(errOut, "error:", err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(errOut, "unknown command %q\n\n", name)
	usage(errOut)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hasura-auth-go [command] [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-17s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'hasura-auth-go <command> --help' for a command's flags.")
}

func flags(name, doc string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: hasura-auth-go %s [flags]\n\n%s\n\nflags:\n", name, doc)
		fs.PrintDefaults()
	}
	return fs
}

// hsLengths are the secret sizes in bytes; hex doubles them, above Hasura's minimums.
var hsLengths = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

func genSecret(_ context.Context, args []string, out io.Writer) error {
	fs := flags("gen-secret", "Prints a random secret for an HS algorithm, hex-encoded, and the\nHASURA_GRAPHQL_JWT_SECRET value to give both Hasura and this server.", out)
	alg := fs.String("alg", "HS256", "HS256, HS384 or HS512")
	if err := fs.Parse(args); err != nil {
		return err
	}
	n, ok := hsLengths[strings.ToUpper(*alg)]
	if !ok {
		return fmt.Errorf("--alg must be HS256, HS384 or HS512, got %q", *alg)
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	secret := hex.EncodeToString(b)
	js, _ := json.Marshal(map[string]string{"type": strings.ToUpper(*alg), "key": secret})
	fmt.Fprintf(out, "%s\n\nHASURA_GRAPHQL_JWT_SECRET='%s'\n", secret, js)
	return nil
}

// hasuraTypes maps our algorithm names to Hasura's secret types (Hasura has no PS*).
var hasuraTypes = map[string]string{
	"EdDSA": "Ed25519", "ES256": "ES256", "ES384": "ES384", "ES512": "ES512",
	"RS256": "RS256", "RS384": "RS384", "RS512": "RS512",
}

func genKeys(_ context.Context, args []string, out io.Writer) error {
	fs := flags("gen-keys", "Prints a new PEM key pair and the HASURA_GRAPHQL_JWT_SECRET value that\nmakes this server sign with it and Hasura verify with it.", out)
	alg := fs.String("alg", "EdDSA", "one of "+strings.Join(config.SigningAlgorithms, ", "))
	if err := fs.Parse(args); err != nil {
		return err
	}
	typ, ok := hasuraTypes[*alg]
	if !ok {
		return fmt.Errorf("--alg %q cannot be given to Hasura as a key (Hasura's secret types: Ed25519, ES256/384/512, RS256/384/512); generated keys of any algorithm can be published through the JWKS instead", *alg)
	}
	row, err := token.GenerateKey(*alg)
	if err != nil {
		return err
	}
	js, _ := json.Marshal(map[string]string{"type": typ, "key": row.PublicKey, "signing_key": row.PrivateKey, "kid": row.ID})
	fmt.Fprintf(out, "%s\n%s\nHASURA_GRAPHQL_JWT_SECRET='%s'\n", row.PrivateKey, row.PublicKey, js)
	return nil
}

// keyStore opens the database the server's configuration names.
func keyStore(ctx context.Context, envFile string) (*token.KeyStore, func(), error) {
	cfg, err := config.Load(envFile, nil)
	if err != nil {
		return nil, nil, err
	}
	if cfg.JWTSecret != nil {
		return nil, nil, errors.New("HASURA_GRAPHQL_JWT_SECRET is set: the server signs with that key, not with keys in the database")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := server.OpenDB(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	closeDB := func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}
	if _, err := migrations.Up(ctx, db, log); err != nil {
		closeDB()
		return nil, nil, err
	}
	var box *secretbox.Box
	if box, err = cfg.Keyring(); err != nil {
		closeDB()
		return nil, nil, err
	}
	return token.NewKeyStore(db, box, cfg.JWTAlgorithm, cfg.JWKSMaxAge, cfg.AccessTokenTTL, log), closeDB, nil
}

func rotateKeys(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("rotate-keys", "Publishes a new signing key in the JWKS now; it starts signing after\nAUTH_JWKS_MAX_AGE, and the current key stays published until the tokens\nit signed have expired. Reads the server's configuration (env and .env).", out)
	alg := fs.String("alg", "", "algorithm of the new key (default AUTH_JWT_ALGORITHM)")
	envFile := fs.String("env-file", ".env", "dotenv file to read besides the environment")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *alg != "" && !contains(config.SigningAlgorithms, *alg) {
		return fmt.Errorf("--alg must be one of %s", strings.Join(config.SigningAlgorithms, ", "))
	}
	ks, closeDB, err := keyStore(ctx, *envFile)
	if err != nil {
		return err
	}
	defer closeDB()
	k, err := ks.Rotate(ctx, *alg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "new key %s (%s) published now, signs from %s\n", k.ID, k.Algorithm, k.ActivatesAt.UTC().Format(time.RFC3339))
	return nil
}

func listKeys(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("list-keys", "Lists the signing keys in auth.jwt_signing_keys with their schedule.", out)
	envFile := fs.String("env-file", ".env", "dotenv file to read besides the environment")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ks, closeDB, err := keyStore(ctx, *envFile)
	if err != nil {
		return err
	}
	defer closeDB()
	rows, err := ks.List(ctx)
	if err != nil {
		return err
	}
	PrintKeys(out, rows, time.Now())
	return nil
}

// PrintKeys writes a table of keys and their state at now.
func PrintKeys(out io.Writer, rows []models.JWTSigningKey, now time.Time) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tSTATE\tSIGNS FROM\tRETIRES\tLEAVES JWKS\tENCRYPTED")
	ts := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%v\n", r.ID, r.Algorithm, token.KeyState(r, now),
			ts(&r.ActivatesAt), ts(r.RetiresAt), ts(r.ExpiresAt), secretbox.IsSealed(r.PrivateKey))
	}
	_ = tw.Flush()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
