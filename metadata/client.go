package metadata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ClientOptions tunes a Client; zero values take the defaults.
type ClientOptions struct {
	HTTPClient     *http.Client  // nil: a client with a 10 s timeout
	InitialBackoff time.Duration // first wait after a failed attempt; 0: 1 s
	MaxBackoff     time.Duration // the wait doubles up to this; 0: 30 s
	// Sleep waits d or until ctx ends; nil: a timer. Tests record the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   *slog.Logger // nil: slog.Default()
}

// Client applies metadata (the files in metadata/) through Hasura's
// metadata API, one idempotent call at a time: only additions, so whatever
// else the user keeps in Hasura's metadata is left alone (replace_metadata
// would wipe it).
type Client struct {
	endpoint    string
	adminSecret string // sent as a header only; never logged or put in errors
	opts        ClientOptions
}

// Endpoint derives Hasura's metadata API URL from its GraphQL URL
// (HASURA_GRAPHQL_GRAPHQL_URL): …/v1/graphql becomes …/v1/metadata.
func Endpoint(graphqlURL string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(graphqlURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("HASURA_GRAPHQL_GRAPHQL_URL must be an http(s) URL")
	}
	base, ok := strings.CutSuffix(strings.TrimRight(u.Path, "/"), "/v1/graphql")
	if !ok {
		return "", fmt.Errorf("HASURA_GRAPHQL_GRAPHQL_URL must end in /v1/graphql to derive the metadata endpoint, got path %q", u.Path)
	}
	u.Path, u.RawPath, u.RawQuery, u.Fragment = base+"/v1/metadata", "", "", ""
	return u.String(), nil
}

// NewClient builds a client for the Hasura whose GraphQL endpoint is graphqlURL.
func NewClient(graphqlURL, adminSecret string, o ClientOptions) (*Client, error) {
	endpoint, err := Endpoint(graphqlURL)
	if err != nil {
		return nil, err
	}
	if adminSecret == "" {
		return nil, errors.New("HASURA_GRAPHQL_ADMIN_SECRET is needed to apply metadata")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.MaxBackoff < o.InitialBackoff {
		o.MaxBackoff = o.InitialBackoff
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Client{endpoint: endpoint, adminSecret: adminSecret, opts: o}, nil
}

// Endpoint is the metadata API URL, without any user:password it may hold (for logs).
func (c *Client) Endpoint() string {
	u, err := url.Parse(c.endpoint)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}

// Call is one request body of Hasura's metadata API.
type Call struct {
	Type string `json:"type"`
	Args any    `json:"args"`
}

// Result counts what Apply did.
type Result struct {
	Tracked, AlreadyTracked              int // tables
	RelationshipsCreated, AlreadyExisted int
	Skipped                              int // relationships not tried because a table failed
	Retries                              int // attempts repeated while Hasura was unreachable or failing
}

// The argument shapes of the calls we make.
type (
	trackTableArgs struct {
		Source        string         `json:"source"`
		Table         QualifiedTable `json:"table"`
		IsEnum        bool           `json:"is_enum,omitempty"`
		Configuration TableConfig    `json:"configuration"`
	}
	tableCustomizationArgs struct {
		Source        string         `json:"source"`
		Table         QualifiedTable `json:"table"`
		Configuration TableConfig    `json:"configuration"`
	}
	tableIsEnumArgs struct {
		Source string         `json:"source"`
		Table  QualifiedTable `json:"table"`
		IsEnum bool           `json:"is_enum"`
	}
	relationshipArgs struct {
		Source  string         `json:"source"`
		Table   QualifiedTable `json:"table"`
		Name    string         `json:"name"`
		Using   RelUsing       `json:"using"`
		Comment string         `json:"comment,omitempty"`
	}
)

// Apply tracks every table of sources with its configuration, then creates
// every relationship. What already exists counts as success; for a table
// already tracked its configuration (custom names) is set again, so an older
// install picks up the names from these files. Unreachable Hasura, 5xx and
// 429 answers are retried with doubling back-off until ctx ends. A refused
// admin secret stops at once; other refusals are collected and the rest is
// still applied.
func (c *Client) Apply(ctx context.Context, sources []Source) (Result, error) {
	r := &applyRun{c: c}
	var errs []error
	for _, src := range sources {
		failed := map[QualifiedTable]bool{}
		for _, t := range src.Tables {
			err := r.track(ctx, src.Name, t)
			if err != nil {
				var pe *permanentError
				if !errors.As(err, &pe) {
					return r.res, err
				}
				failed[t.Table] = true
				errs = append(errs, err)
			}
		}
		for _, t := range src.Tables {
			rels := []struct {
				kind string
				list []Relationship
			}{{"object", t.ObjectRelationships}, {"array", t.ArrayRelationships}}
			for _, group := range rels {
				for _, rel := range group.list {
					if failed[t.Table] || (rel.Using.ForeignKeyConstraintOn.Table != nil && failed[*rel.Using.ForeignKeyConstraintOn.Table]) {
						r.res.Skipped++
						continue
					}
					call := Call{
						Type: "pg_create_" + group.kind + "_relationship",
						Args: relationshipArgs{Source: src.Name, Table: t.Table, Name: rel.Name, Using: rel.Using, Comment: rel.Comment},
					}
					existed, err := r.do(ctx, call, t.Table.String()+"."+rel.Name)
					switch {
					case err == nil && existed:
						r.res.AlreadyExisted++
					case err == nil:
						r.res.RelationshipsCreated++
					default:
						var pe *permanentError
						if !errors.As(err, &pe) {
							return r.res, err
						}
						errs = append(errs, err)
					}
				}
			}
		}
	}
	return r.res, errors.Join(errs...)
}

type applyRun struct {
	c      *Client
	res    Result
	warned bool
}

func (r *applyRun) track(ctx context.Context, source string, t Table) error {
	what := t.Table.String()
	existed, err := r.do(ctx, Call{
		Type: "pg_track_table",
		Args: trackTableArgs{Source: source, Table: t.Table, IsEnum: t.IsEnum, Configuration: t.Configuration},
	}, what)
	if err != nil {
		return err
	}
	if !existed {
		r.res.Tracked++
		return nil
	}
	r.res.AlreadyTracked++
	// pg_track_table ignored our configuration: set it on the tracked table.
	if _, err := r.do(ctx, Call{
		Type: "pg_set_table_customization",
		Args: tableCustomizationArgs{Source: source, Table: t.Table, Configuration: t.Configuration},
	}, what); err != nil {
		return err
	}
	if t.IsEnum {
		if _, err := r.do(ctx, Call{
			Type: "pg_set_table_is_enum",
			Args: tableIsEnumArgs{Source: source, Table: t.Table, IsEnum: true},
		}, what); err != nil {
			return err
		}
	}
	return nil
}

// permanentError is a refusal that retrying will not change (bad definition,
// missing table); Apply reports it and goes on with the rest.
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

// hasuraError is the body of Hasura's error answers.
type hasuraError struct {
	Code  string `json:"code"`
	Error string `json:"error"`
}

// do sends one call, retrying what may pass later. existed reports Hasura's
// already-tracked / already-exists answer.
func (r *applyRun) do(ctx context.Context, call Call, what string) (existed bool, err error) {
	c := r.c
	body, err := json.Marshal(call)
	if err != nil {
		return false, fmt.Errorf("%s %s: %w", call.Type, what, err)
	}
	delay := c.opts.InitialBackoff
	for {
		status, answer, err := c.post(ctx, body)
		if err == nil && status == http.StatusOK {
			return false, nil
		}
		var herr hasuraError
		if err == nil {
			_ = json.Unmarshal(answer, &herr)
			if herr.Error == "" {
				herr.Error = snippet(answer)
			}
		}
		switch {
		case ctx.Err() != nil:
			return false, ctx.Err()
		case err != nil, status >= 500, status == http.StatusTooManyRequests:
			// not up yet, restarting, or overloaded: try again later
		case herr.Code == "already-tracked" || herr.Code == "already-exists":
			return true, nil
		case status == http.StatusUnauthorized || status == http.StatusForbidden || herr.Code == "access-denied":
			return false, fmt.Errorf("hasura refused the admin secret (HASURA_GRAPHQL_ADMIN_SECRET): %d %s: %s", status, herr.Code, herr.Error)
		case status == http.StatusNotFound && herr.Code == "":
			return false, fmt.Errorf("%s: no metadata API there (404); it needs Hasura v2 or later", c.Endpoint())
		default:
			return false, &permanentError{fmt.Sprintf("%s %s: hasura answered %d %s: %s", call.Type, what, status, herr.Code, herr.Error)}
		}
		reason := ""
		if err != nil {
			reason = err.Error()
		} else {
			reason = fmt.Sprintf("%d %s %s", status, herr.Code, herr.Error)
		}
		level := slog.LevelDebug
		if !r.warned {
			level, r.warned = slog.LevelWarn, true // once per run: Hasura often starts after us
		}
		c.opts.Log.Log(ctx, level, "hasura metadata API not ready, retrying",
			"endpoint", c.Endpoint(), "call", call.Type, "target", what, "error", reason, "retry_in", delay.String())
		r.res.Retries++
		if err := c.opts.Sleep(ctx, delay); err != nil {
			return false, err
		}
		delay = min(delay*2, c.opts.MaxBackoff)
	}
}

func (c *Client) post(ctx context.Context, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Admin-Secret", c.adminSecret)
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, err // *url.Error: the URL without password, never the headers
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, answer, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
