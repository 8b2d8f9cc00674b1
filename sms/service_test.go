package sms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/sms"
	"github.com/hasura-auth-go/auth/sms/phone"
	"github.com/hasura-auth-go/auth/testsupport"
)

func newClock() *testsupport.Clock { return testsupport.NewClock() }

func sortedKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func storedFrom(i sms.Issued) sms.Stored {
	h, m := i.Hash, i.Method
	return sms.Stored{Hash: &h, ExpiresAt: i.ExpiresAt, Method: &m}
}

// wrongCode is another code of the same length.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// logService is the log provider writing JSON lines to buf.
func logService(t *testing.T, buf *testsupport.LogBuffer, clock *testsupport.Clock, mod func(*sms.Config)) *sms.Service {
	t.Helper()
	c := sms.DefaultConfig()
	c.Enabled, c.Provider, c.ServerURL, c.BcryptCost = true, "log", "http://localhost:4000", 4
	if mod != nil {
		mod(&c)
	}
	s, err := sms.New(c, slog.New(slog.NewJSONHandler(buf, nil)), clock.Now)
	require.NoError(t, err)
	return s
}

// lastLogged returns the to and text of the log provider's last line.
func lastLogged(t *testing.T, buf *testsupport.LogBuffer) (to, text string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var rec struct{ To, Text string }
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &rec))
	return rec.To, rec.Text
}

func TestLogProviderWritesTheMessage(t *testing.T) {
	var buf testsupport.LogBuffer
	clock := newClock()
	s := logService(t, &buf, clock, nil)
	require.Equal(t, "log", s.Provider())
	issued, err := s.Send(context.Background(), nzMobile, "")
	require.NoError(t, err)
	to, text := lastLogged(t, &buf)
	require.Equal(t, "+64211234567", to)
	require.True(t, sms.CodeMatches(issued.Hash, codeIn(t, text)))
	require.Equal(t, clock.Now().Add(5*time.Minute), issued.ExpiresAt)
}

func TestDevIsTheLogProvider(t *testing.T) {
	var buf testsupport.LogBuffer
	s := logService(t, &buf, newClock(), func(c *sms.Config) { c.Provider = "DEV" })
	require.Equal(t, "log", s.Provider())
}

// The verdicts the flow acts on, for codes of ours.
func TestCheckVerdicts(t *testing.T) {
	ctx := context.Background()
	var buf testsupport.LogBuffer
	clock := newClock()
	s := logService(t, &buf, clock, func(c *sms.Config) { c.MaxAttempts = 3 })
	issued, err := s.Send(ctx, nzMobile, "en")
	require.NoError(t, err)
	_, text := lastLogged(t, &buf)
	code := codeIn(t, text)
	email := "email"
	empty := ""

	cases := []struct {
		name  string
		guess string
		mod   func(*sms.Stored)
		after time.Duration
		want  sms.Verdict
	}{
		{"right code", code, nil, 0, sms.Accepted},
		{"right code, spaces around", "  " + code + "\n", nil, 0, sms.Accepted},
		{"right code, last second", code, nil, 5*time.Minute - time.Second, sms.Accepted},
		{"right code after a wrong one", code, func(st *sms.Stored) { st.Failures = 2 }, 0, sms.Accepted},
		{"wrong code", wrongCode(code), nil, 0, sms.Rejected},
		{"second wrong code", wrongCode(code), func(st *sms.Stored) { st.Failures = 1 }, 0, sms.Rejected},
		{"last allowed wrong code", wrongCode(code), func(st *sms.Stored) { st.Failures = 2 }, 0, sms.Locked},
		{"malformed code", "12ab56", nil, 0, sms.Rejected},
		{"empty code", "", nil, 0, sms.Rejected},
		{"too long", code + "0000000", nil, 0, sms.Rejected},
		{"right code, locked", code, func(st *sms.Stored) { st.Failures = 3 }, 0, sms.NoCode},
		{"right code, expired", code, nil, 5 * time.Minute, sms.NoCode},
		{"right code, email's code", code, func(st *sms.Stored) { st.Method = &email }, 0, sms.NoCode},
		{"right code, no method", code, func(st *sms.Stored) { st.Method = nil }, 0, sms.NoCode},
		{"cleared code", code, func(st *sms.Stored) { st.Hash = nil }, 0, sms.NoCode},
		{"empty hash", "", func(st *sms.Stored) { st.Hash = &empty }, 0, sms.NoCode},
		{"no user", code, func(st *sms.Stored) { *st = sms.Stored{} }, 0, sms.NoCode},
	}
	base := clock.Now()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock.Advance(base.Add(tc.after).Sub(clock.Now()))
			st := storedFrom(issued)
			if tc.mod != nil {
				tc.mod(&st)
			}
			v, err := s.Check(ctx, nzMobile, tc.guess, st)
			require.NoError(t, err)
			require.Equal(t, tc.want, v, "got %s", v)
		})
	}
}

func TestVerdictWrites(t *testing.T) {
	cases := []struct {
		v              sms.Verdict
		counts, clears bool
	}{
		{sms.Accepted, false, true},
		{sms.Rejected, true, false},
		{sms.Locked, true, true},
		{sms.NoCode, false, false},
	}
	for _, c := range cases {
		require.Equal(t, c.counts, c.v.CountsFailure(), c.v.String())
		require.Equal(t, c.clears, c.v.ClearsCode(), c.v.String())
	}
}

func TestCodeLengthIsConfigurable(t *testing.T) {
	var buf testsupport.LogBuffer
	s := logService(t, &buf, newClock(), func(c *sms.Config) { c.CodeLength = 8 })
	issued, err := s.Send(context.Background(), nzMobile, "en")
	require.NoError(t, err)
	_, text := lastLogged(t, &buf)
	code := strings.TrimPrefix(text, "Your sign-in code: ")
	require.Len(t, code, 8)
	v, err := s.Check(context.Background(), nzMobile, code, storedFrom(issued))
	require.NoError(t, err)
	require.Equal(t, sms.Accepted, v)
}

func TestTemplatesOverrideAndFallBack(t *testing.T) {
	dir := t.TempDir()
	write := func(locale, body string) {
		p := filepath.Join(dir, locale, "signin-passwordless-sms")
		require.NoError(t, os.MkdirAll(p, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(p, "body.txt"), []byte(body), 0o644))
	}
	write("en", "Code ${code} for ${appName}\n")
	write("cs", "Váš kód je ${code}.")
	var buf testsupport.LogBuffer
	s := logService(t, &buf, newClock(), func(c *sms.Config) { c.TemplatesPath, c.DefaultLocale = dir, "fr" })

	text := func(locale string) string {
		_, err := s.Send(context.Background(), nzMobile, locale)
		require.NoError(t, err)
		_, txt := lastLogged(t, &buf)
		return txt
	}
	require.Regexp(t, `^Code \d{6} for$`, text("en"), "override wins; unknown placeholders are empty")
	require.Regexp(t, `^Váš kód je \d{6}\.$`, text("cs"), "a locale only the override has")
	require.Regexp(t, `^Votre code de connexion : \d{6}$`, text("de"), "unknown locale: AUTH_LOCALE_DEFAULT")
	require.Regexp(t, `^Votre code de connexion : \d{6}$`, text(""), "no locale: AUTH_LOCALE_DEFAULT")

	write("es", "Sin código")
	c := sms.DefaultConfig()
	c.Enabled, c.Provider, c.ServerURL, c.TemplatesPath = true, "log", "http://localhost", dir
	_, err := sms.New(c, nil, nil)
	require.ErrorContains(t, err, "${code}")

	c.TemplatesPath = filepath.Join(dir, "missing")
	_, err = sms.New(c, nil, nil)
	require.ErrorContains(t, err, "AUTH_EMAIL_TEMPLATES_PATH")
}

func TestSendNeedsANumber(t *testing.T) {
	var buf testsupport.LogBuffer
	s := logService(t, &buf, newClock(), nil)
	_, err := s.Send(context.Background(), phone.Number{}, "en")
	require.Error(t, err)
	require.Empty(t, bytes.TrimSpace([]byte(buf.String())))
}
