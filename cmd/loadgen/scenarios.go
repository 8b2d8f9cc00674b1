package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	target   *url.URL   // the first of targets (the HTTP floor copies its path)
	targets  []*url.URL // instances: connections go to each in turn
	next     atomic.Uint64
	timeout  time.Duration
	password string
}

type session struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
}

// conn opens a worker's own connection (dialled on first use).
func (c *client) conn() *conn {
	return newConn(c.targets[int(c.next.Add(1)-1)%len(c.targets)], c.timeout)
}

// call sends one JSON request on a connection of its own and decodes a 200
// answer into out when out is non-nil. It is for setting up, not for the
// measured loops, which prepare their requests once.
func (c *client) call(method, path string, body any, bearer string, out any) (int, error) {
	cn := c.conn()
	defer cn.close()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return 0, err
		}
	}
	status, err := cn.do(cn.prepare(method, path, "Content-Type", contentType(b), "Authorization", bearerHeader(bearer)), b)
	if err != nil {
		return 0, err
	}
	if out != nil && status == http.StatusOK {
		if err := json.Unmarshal(cn.body, out); err != nil {
			return status, err
		}
	}
	return status, nil
}

func contentType(body []byte) string {
	if body == nil {
		return ""
	}
	return "application/json"
}

func bearerHeader(token string) string {
	if token == "" {
		return ""
	}
	return "Bearer " + token
}

func (c *client) newEmail() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "load-" + hex.EncodeToString(b[:]) + "@example.com"
}

// signUp creates a user and returns its session; the server must issue
// sessions at sign-up (AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED=false).
func (c *client) signUp(email string) (*session, error) {
	var p struct{ Session *session }
	status, err := c.call(http.MethodPost, "/signup/email-password", map[string]any{"email": email, "password": c.password}, "", &p)
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
	// probe, when set, is the scenario's request for the HTTP floor (floor.go).
	probe func(c *client) (probe, error)
}

// bearerScenario sends method path with the shared user's access token;
// its ceilings are the in-process verification rate and the HTTP floor.
func bearerScenario(method, path string) scenario {
	probeOf := func(c *client) (probe, error) {
		_, s, err := sharedUser(c)
		if err != nil {
			return probe{}, err
		}
		return probe{method: method, path: path, headers: []string{"Authorization", bearerHeader(s.AccessToken)}}, nil
	}
	return scenario{
		setup: func(_ context.Context, c *client, _ int) (worker, error) {
			p, err := probeOf(c)
			if err != nil {
				return nil, err
			}
			cn := c.conn()
			req := cn.prepare(p.method, p.path, p.headers...)
			return func(context.Context) (int, error) { return cn.do(req, nil) }, nil
		},
		ceiling: verifyCeiling,
		probe:   probeOf,
	}
}

var shared struct {
	once  sync.Once
	email string
	sess  *session
	err   error
}

// sharedUser is the one user that sign-in, verify and user scenarios share.
func sharedUser(c *client) (string, *session, error) {
	shared.once.Do(func() {
		shared.email = c.newEmail()
		shared.sess, shared.err = c.signUp(shared.email)
	})
	return shared.email, shared.sess, shared.err
}

// Each worker has its own connection; requests that do not change are
// prepared once, bodies included.
var scenarios = map[string]scenario{
	"signup": {setup: func(_ context.Context, c *client, _ int) (worker, error) {
		cn := c.conn()
		req := cn.prepare(http.MethodPost, "/signup/email-password", "Content-Type", "application/json")
		return func(context.Context) (int, error) {
			body, err := json.Marshal(map[string]any{"email": c.newEmail(), "password": c.password})
			if err != nil {
				return 0, err
			}
			return cn.do(req, body)
		}, nil
	}},
	"signin": {
		setup: func(_ context.Context, c *client, _ int) (worker, error) {
			email, _, err := sharedUser(c)
			if err != nil {
				return nil, err
			}
			body, err := json.Marshal(map[string]any{"email": email, "password": c.password})
			cn := c.conn()
			req := cn.prepare(http.MethodPost, "/signin/email-password", "Content-Type", "application/json")
			return func(context.Context) (int, error) { return cn.do(req, body) }, err
		},
		ceiling: bcryptCeiling,
	},
	"refresh": {
		// Each worker is its own user refreshing its own chain.
		setup: func(_ context.Context, c *client, _ int) (worker, error) {
			s, err := c.signUp(c.newEmail())
			if err != nil {
				return nil, err
			}
			tok := s.RefreshToken
			cn := c.conn()
			req := cn.prepare(http.MethodPost, "/token", "Content-Type", "application/json")
			var body []byte
			return func(context.Context) (int, error) {
				body = append(append(append(body[:0], `{"refreshToken":"`...), tok...), `"}`...)
				status, err := cn.do(req, body)
				if err != nil || status != http.StatusOK {
					return status, err
				}
				next, err := refreshTokenOf(cn.body)
				if err != nil {
					return status, err
				}
				tok = next
				return status, nil
			}, nil
		},
		ceiling: sqlCeiling,
	},
	"verify": bearerScenario(http.MethodPost, "/token/verify"),
	"user":   bearerScenario(http.MethodGet, "/user"),
	"anonymous": {setup: func(_ context.Context, c *client, _ int) (worker, error) {
		cn := c.conn()
		req := cn.prepare(http.MethodPost, "/signin/anonymous")
		return func(context.Context) (int, error) { return cn.do(req, nil) }, nil
	}},
}

// refreshTokenOf finds the refreshToken of a session answer. Decoding the
// whole session (user, access token) was a quarter of the load generator's
// CPU in the refresh scenario; a token is a uuid, so the common shape is
// read directly and anything else is decoded properly.
func refreshTokenOf(body []byte) (string, error) {
	const key = `"refreshToken":"`
	if i := bytes.Index(body, []byte(key)); i >= 0 && bytes.Count(body, []byte(`"refreshToken"`)) == 1 {
		rest := body[i+len(key):]
		if j := bytes.IndexByte(rest, '"'); j == 36 && bytes.IndexByte(rest[:j], '\\') < 0 {
			return string(rest[:j]), nil
		}
	}
	var s session
	if err := json.Unmarshal(body, &s); err != nil {
		return "", err
	}
	if s.RefreshToken == "" {
		return "", errors.New("refresh answered 200 without a refresh token")
	}
	return s.RefreshToken, nil
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
	_, s, err := sharedUser(c)
	if err != nil {
		return "", 0, err
	}
	cn := c.conn()
	defer cn.close()
	if _, err := cn.do(cn.prepare(http.MethodGet, "/.well-known/jwks.json"), nil); err != nil {
		return "", 0, err
	}
	keys, err := hasura.ParseJWKS(cn.body)
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
