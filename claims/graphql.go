package claims

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// selection is a GraphQL selection set under user(id: $id); nil children is a leaf.
type selection map[string]selection

// add records the fields a Hasura path needs. A jsonb column (metadata, at
// any depth, as hasura-auth treats it) is selected whole: GraphQL cannot
// select inside it, so the steps after it are walked in the response.
func (s selection) add(segs []segment) {
	cur := s
	for i, seg := range segs {
		if i == len(segs)-1 || seg.name == "metadata" {
			if _, ok := cur[seg.name]; !ok {
				cur[seg.name] = nil
			}
			return
		}
		next := cur[seg.name]
		if next == nil {
			next = selection{}
			cur[seg.name] = next
		}
		cur = next
	}
}

func (s selection) write(b *strings.Builder) {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names) // one query text for one configuration
	b.WriteString("{")
	for _, n := range names {
		b.WriteString(" ")
		b.WriteString(n)
		if sub := s[n]; sub != nil {
			b.WriteString(" ")
			sub.write(b)
		}
	}
	b.WriteString(" }")
}

func buildQuery(s selection) string {
	var b strings.Builder
	b.WriteString("query GetClaims($id: uuid!) { user(id: $id) ")
	s.write(&b)
	b.WriteString(" }")
	return b.String()
}

// hasuraSource fetches, with one GraphQL query per token issue, every field
// the relationship paths need.
type hasuraSource struct {
	url         string
	logURL      string // without a password
	adminSecret string
	query       string
	client      *http.Client
	timeout     time.Duration
}

// maxResponse bounds what a misbehaving endpoint can make us buffer.
const maxResponse = 1 << 20

// fetch returns the user object, nil when Hasura has no such user (for
// example one whose sign-up transaction has not committed yet).
func (h *hasuraSource) fetch(ctx context.Context, userID string) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	body, err := json.Marshal(map[string]any{"query": h.query, "variables": map[string]string{"id": userID}})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if h.adminSecret != "" {
		req.Header.Set("x-hasura-admin-secret", h.adminSecret)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err // net/http leaves passwords out of the URL it quotes
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var out struct {
		Data *struct {
			User map[string]any `json:"user"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxResponse))
	dec.UseNumber() // keep big integers exact
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	if len(out.Errors) > 0 {
		msgs := make([]string, len(out.Errors))
		for i, e := range out.Errors {
			msgs[i] = e.Message
		}
		return nil, fmt.Errorf("graphql errors: %s", strings.Join(msgs, "; "))
	}
	if out.Data == nil {
		return nil, errors.New("response has no data")
	}
	return out.Data.User, nil
}
