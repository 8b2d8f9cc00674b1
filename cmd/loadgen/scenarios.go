package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/hasura-auth-go/auth/hasura"
)

type client struct {
	base     string
	http     *http.Client
	password string
}

type session struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
}

// post sends JSON and decodes a JSON answer into out when out is non-nil.
func (c *client) post(ctx context.Context, path string, body any, bearer string, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return c.do(req, out)
}

func (c *client) get(ctx context.Context, path, bearer string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	return c.do(req, nil)
}

func (c *client) do(req *http.Request, out any) (int, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, err
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body) // keep the connection reusable
	return resp.StatusCode, nil
}

func (c *client) newEmail() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "load-" + hex.EncodeToString(b[:]) + "@example.com"
}

// signUp creates a user and returns its session; the server must issue
// sessions at sign-up (AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED=false).
func (c *client) signUp(ctx context.Context, email string) (*session, error) {
	var p struct{ Session *session }
	status, err := c.post(ctx, "/signup/email-password", map[string]any{"email": email, "password": c.password}, "", &p)
	if err != nil {
		return nil, err
	}
	if status != 200 || p.Session == nil {
		return nil, fmt.Errorf("sign-up answered %d without a session (does the server require email verification?)", status)
	}
	return p.Session, nil
}

type scenario struct {
	setup   func(ctx context.Context, c *client, i int) (worker, error)
	ceiling func(ctx context.Context, cfg config, c *client) (string, float64, error)
}

var shared struct {
	once  sync.Once
	email string
	sess  *session
	err   error
}

// sharedUser is the one user that sign-in, verify and user scenarios share.
func sharedUser(ctx context.Context, c *client) (string, *session, error) {
	shared.once.Do(func() {
		shared.email = c.newEmail()
		shared.sess, shared.err = c.signUp(ctx, shared.email)
	})
	return shared.email, shared.sess, shared.err
}

var scenarios = map[string]scenario{
	"signup": {setup: func(ctx context.Context, c *client, _ int) (worker, error) {
		return func(ctx context.Context) (int, error) {
			return c.post(ctx, "/signup/email-password", map[string]any{"email": c.newEmail(), "password": c.password}, "", nil)
		}, nil
	}},
	"signin": {
		setup: func(ctx context.Context, c *client, _ int) (worker, error) {
			email, _, err := sharedUser(ctx, c)
			body := map[string]any{"email": email, "password": c.password}
			return func(ctx context.Context) (int, error) { return c.post(ctx, "/signin/email-password", body, "", nil) }, err
		},
		ceiling: bcryptCeiling,
	},
	"refresh": {
		// Each worker is its own user refreshing its own chain.
		setup: func(ctx context.Context, c *client, _ int) (worker, error) {
			s, err := c.signUp(ctx, c.newEmail())
			if err != nil {
				return nil, err
			}
			tok := s.RefreshToken
			return func(ctx context.Context) (int, error) {
				var next session
				status, err := c.post(ctx, "/token", map[string]any{"refreshToken": tok}, "", &next)
				if status == 200 && err == nil {
					tok = next.RefreshToken
				}
				return status, err
			}, nil
		},
		ceiling: sqlCeiling,
	},
	"verify": {
		setup: func(ctx context.Context, c *client, _ int) (worker, error) {
			_, s, err := sharedUser(ctx, c)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context) (int, error) { return c.post(ctx, "/token/verify", nil, s.AccessToken, nil) }, nil
		},
		ceiling: verifyCeiling,
	},
	"user": {
		setup: func(ctx context.Context, c *client, _ int) (worker, error) {
			_, s, err := sharedUser(ctx, c)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context) (int, error) { return c.get(ctx, "/user", s.AccessToken) }, nil
		},
		ceiling: verifyCeiling,
	},
	"anonymous": {setup: func(ctx context.Context, c *client, _ int) (worker, error) {
		return func(ctx context.Context) (int, error) { return c.post(ctx, "/signin/anonymous", nil, "", nil) }, nil
	}},
}

func scenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// bcryptCeiling: every sign-in needs one bcrypt comparison, so no server on
// this machine signs in faster than cores ÷ one hash's time.
func bcryptCeiling(_ context.Context, cfg config, _ *client) (string, float64, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(cfg.password), cfg.bcryptCost)
	if err != nil {
		return "", 0, err
	}
	const n = 10
	start := time.Now()
	for range n {
		_ = bcrypt.CompareHashAndPassword(hash, []byte(cfg.password))
	}
	per := time.Since(start) / n
	return fmt.Sprintf("bcrypt cost %d: %d cores / %.1fms", cfg.bcryptCost, runtime.NumCPU(), float64(per.Microseconds())/1000),
		float64(runtime.NumCPU()) / per.Seconds(), nil
}

// sqlCeiling: a rotation must at least change one indexed row durably, so
// the ceiling is a loop of that one UPDATE (autocommit, one round trip)
// through a pool as wide as the load, on a table shaped like refresh_tokens.
func sqlCeiling(ctx context.Context, cfg config, _ *client) (string, float64, error) {
	pool, err := pgxpool.New(ctx, cfg.dbURL)
	if err != nil {
		return "", 0, err
	}
	defer pool.Close()
	table := "loadgen_ceiling_" + hex.EncodeToString(uuidBytes()[:4])
	if _, err := pool.Exec(ctx, `CREATE UNLOGGED TABLE IF NOT EXISTS `+table+` (id uuid PRIMARY KEY, user_id uuid, refresh_token_hash varchar(255), expires_at timestamptz, generation int)`); err != nil {
		return "", 0, err
	}
	// Logged like the real table: durability is part of the cost.
	if _, err := pool.Exec(ctx, `ALTER TABLE `+table+` SET LOGGED`); err != nil {
		return "", 0, err
	}
	defer func() { _, _ = pool.Exec(context.Background(), `DROP TABLE `+table) }()
	for _, idx := range []string{"refresh_token_hash", "user_id", "expires_at"} {
		if _, err := pool.Exec(ctx, `CREATE INDEX ON `+table+` (`+idx+`)`); err != nil {
			return "", 0, err
		}
	}
	ids := make([]uuid.UUID, cfg.concurrency)
	for i := range ids {
		ids[i] = uuid.New()
		if _, err := pool.Exec(ctx, `INSERT INTO `+table+` VALUES ($1, $2, $3, now(), 0)`, ids[i], uuid.New(), uuid.NewString()); err != nil {
			return "", 0, err
		}
	}
	var count atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				_, err := pool.Exec(ctx, `UPDATE `+table+` SET refresh_token_hash = $1, generation = generation + 1, expires_at = now() + interval '30 days' WHERE id = $2`, uuid.NewString(), id)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				count.Add(1)
			}
		}()
	}
	d := 5 * time.Second
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	if firstErr != nil {
		return "", 0, firstErr
	}
	return fmt.Sprintf("bare UPDATE loop, %d connections", cfg.concurrency), float64(count.Load()) / d.Seconds(), nil
}

func uuidBytes() []byte { u := uuid.New(); return u[:] }

// verifyCeiling: the in-process rate of checking the same token with
// Hasura's rules and the server's published keys, on every core.
func verifyCeiling(ctx context.Context, _ config, c *client) (string, float64, error) {
	_, s, err := sharedUser(ctx, c)
	if err != nil {
		return "", 0, err
	}
	resp, err := c.http.Get(c.base + "/.well-known/jwks.json")
	if err != nil {
		return "", 0, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	keys, err := hasura.ParseJWKS(body)
	if err != nil {
		return "", 0, err
	}
	cfg := hasura.VerifierConfig{Keys: keys}
	if len(keys) == 0 {
		raw := os.Getenv("HASURA_GRAPHQL_JWT_SECRET")
		if raw == "" {
			return "", 0, errors.New("the JWKS is empty (HS secret?): set HASURA_GRAPHQL_JWT_SECRET for the verify ceiling")
		}
		if cfg.Secret, err = hasura.ParseJWTSecret(raw); err != nil {
			return "", 0, err
		}
	}
	v, err := hasura.NewVerifier(cfg)
	if err != nil {
		return "", 0, err
	}
	if _, err := v.Verify(s.AccessToken, ""); err != nil {
		return "", 0, err
	}
	var count atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				_, _ = v.Verify(s.AccessToken, "")
				count.Add(1)
			}
		}()
	}
	d := 3 * time.Second
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	return fmt.Sprintf("in-process verification, %d cores", runtime.NumCPU()), float64(count.Load()) / d.Seconds(), nil
}
