package handlers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/testsupport"
	"github.com/hasura-auth-go/auth/webauthn"
)

// Passkeys in a real browser: headless Chromium with a DevTools virtual
// authenticator (CTAP2, built in, resident keys, user verification) runs
// navigator.credentials.create and .get on a page served with the API on
// http://localhost:PORT, the RP ID localhost, as in local development. The
// test fails when Chromium cannot start: it never skips.

// chromiumPath is Debian's chromium, which .ci/run installs; CHROMIUM
// points elsewhere.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// passkeyPage runs the ceremonies the way a front end does, with the
// browser's own JSON forms of the options and credentials.
const passkeyPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>Passkeys</title></head>
<body><h1>Passkeys</h1><pre id="log"></pre>
<script>
const log = (line) => { document.getElementById('log').textContent += line + '\n'; };
async function call(path, body, token) {
  const headers = {'Content-Type': 'application/json'};
  if (token) headers['Authorization'] = 'Bearer ' + token;
  const r = await fetch('/v1' + path, {method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await r.text();
  log('POST ' + path + ' → ' + r.status);
  if (!r.ok) throw new Error('POST ' + path + ' answered ' + r.status + ': ' + text);
  return JSON.parse(text);
}
async function create(options) {
  const c = await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)});
  return c.toJSON();
}
async function get(options) {
  const c = await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
  return c.toJSON();
}
async function signUp(email) {
  const credential = await create(await call('/signup/webauthn', {email}));
  return (await call('/signup/webauthn/verify', {credential, nickname: 'Chromium'})).session;
}
async function signOut(refreshToken) { return call('/signout', {refreshToken}); }
async function signIn() {
  const credential = await get(await call('/signin/webauthn', {}));
  return (await call('/signin/webauthn/verify', {credential})).session;
}
async function elevate(token) {
  const credential = await get(await call('/elevate/webauthn', undefined, token));
  return (await call('/elevate/webauthn/verify', {credential}, token)).session;
}
</script></body></html>`

type browserSession struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	User         struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
}

func TestPasskeysInChromium(t *testing.T) {
	began := time.Now()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	origin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	e := newEnv(t, merge(passkeysOn, map[string]string{
		"AUTH_WEBAUTHN_RP_ID":         "localhost",
		"AUTH_WEBAUTHN_RP_ORIGINS":    origin,
		"AUTH_WEBAUTHN_RP_NAME":       "Passkeys test",
		"AUTH_REQUIRE_ELEVATED_CLAIM": "required",
	}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(passkeyPage))
	})
	mux.Handle("/", e.srv.Router)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	var chromiumOut testsupport.LogBuffer // what Chromium prints, shown on failure
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath()),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(&chromiumOut),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("Chromium (%s) did not start: %v\n%s", chromiumPath(), err, chromiumOut.String())
	}
	t.Logf("Chromium started in %s", time.Since(began).Round(time.Millisecond))

	// fail saves a screenshot of the page, shows what the page and Chromium
	// logged, and stops the test.
	fail := func(step string, err error) {
		t.Helper()
		shotCtx, cancelShot := context.WithTimeout(ctx, 10*time.Second)
		defer cancelShot()
		if png, serr := chromedp.Run(shotCtx, chromedp.FullScreenshot(100)); serr == nil {
			if f, ferr := os.CreateTemp("", "passkeys-chromium-*.png"); ferr == nil {
				_, _ = f.Write(png)
				_ = f.Close()
				t.Logf("screenshot of the page: %s", f.Name())
			}
		} else {
			t.Logf("no screenshot: %v", serr)
		}
		pageLog, _ := chromedp.Run(shotCtx, chromedp.Evaluate[string](`document.getElementById('log') ? document.getElementById('log').textContent : document.documentElement.outerHTML`))
		t.Fatalf("%s: %v\npage log:\n%s\nChromium output (last 4 KiB, without its D-Bus complaints):\n%s", step, err, pageLog, tail(chromiumOut.String(), 4096))
	}
	// step runs a part of the journey with a time limit, and logs it.
	step := func(name string, run func(ctx context.Context) error) {
		t.Helper()
		stepCtx, cancelStep := context.WithTimeout(ctx, 30*time.Second)
		defer cancelStep()
		start := time.Now()
		if err := run(stepCtx); err != nil {
			fail(name, err)
		}
		t.Logf("%-60s ok (%s)", name, time.Since(start).Round(time.Millisecond))
	}
	var authenticator cdpwebauthn.AuthenticatorID
	step("open "+origin+" and add a virtual authenticator", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(origin+"/")); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
			return err
		}
		res, err := chromedp.Call(ctx, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
			Options: &cdpwebauthn.VirtualAuthenticatorOptions{
				Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Ctap2version: cdpwebauthn.Ctap2versionCtap21,
				Transport: cdpwebauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true,
			}})
		authenticator = res.AuthenticatorID
		return err
	})
	credentials := func(ctx context.Context) ([]*cdpwebauthn.Credential, error) {
		res, err := chromedp.Call(ctx, cdpwebauthn.GetCredentials, cdpwebauthn.GetCredentialsParams{AuthenticatorID: authenticator})
		return res.Credentials, err
	}

	addr := email(t)
	var up browserSession
	step("sign up with a passkey (navigator.credentials.create)", func(ctx context.Context) error {
		var err error
		if up, err = evaluate[browserSession](ctx, fmt.Sprintf(`signUp(%q)`, addr)); err != nil {
			return err
		}
		if up.User.Email != addr {
			return fmt.Errorf("signed up %q, want %q", up.User.Email, addr)
		}
		creds, err := credentials(ctx)
		if err != nil {
			return err
		}
		if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" {
			return fmt.Errorf("the authenticator holds %d credentials, want one discoverable for localhost: %+v", len(creds), creds)
		}
		if want := webauthn.UserHandle(uuid.MustParse(up.User.ID)); !bytes.Equal(creds[0].UserHandle, want) {
			return fmt.Errorf("user handle %x, want %x (the user id read as base64url)", creds[0].UserHandle, want)
		}
		var row struct{ CredentialID, Transports, Nickname string }
		if err := e.db().Raw(`SELECT credential_id, transports, nickname FROM auth.user_security_keys WHERE user_id = ?`, up.User.ID).Scan(&row).Error; err != nil {
			return err
		}
		if row.CredentialID != base64.RawURLEncoding.EncodeToString(creds[0].CredentialID) || row.Transports != "internal" || row.Nickname != "Chromium" {
			return fmt.Errorf("stored key %+v does not match the authenticator's", row)
		}
		return nil
	})

	step("sign out", func(ctx context.Context) error {
		ok, err := evaluate[string](ctx, fmt.Sprintf(`signOut(%q)`, up.RefreshToken))
		if err != nil {
			return err
		}
		if r := e.refresh(up.RefreshToken); ok != "OK" || r.Status != 401 {
			return fmt.Errorf("sign-out answered %q and the refresh token still answers %d", ok, r.Status)
		}
		return nil
	})

	var in browserSession
	step("sign in with the passkey, no email (discoverable)", func(ctx context.Context) error {
		var err error
		if in, err = evaluate[browserSession](ctx, `signIn()`); err != nil {
			return err
		}
		if in.User.ID != up.User.ID {
			return fmt.Errorf("signed in as %s, want %s", in.User.ID, up.User.ID)
		}
		return nil
	})

	step("elevate with the passkey; POST /pat needs it", func(ctx context.Context) error {
		plain := e.mustRefresh(in.RefreshToken) // refreshed: not elevated
		exp := e.clock.Now().Add(time.Hour)
		if r := e.createPAT(plain.AccessToken, exp, nil); r.Status != 403 {
			return fmt.Errorf("POST /pat without elevation answered %d: %s", r.Status, r.Body)
		}
		el, err := evaluate[browserSession](ctx, fmt.Sprintf(`elevate(%q)`, plain.AccessToken))
		if err != nil {
			return err
		}
		if got := e.hasuraClaims(el.AccessToken).SessionVariables[elevatedClaim]; got != up.User.ID {
			return fmt.Errorf("elevated claim %q, want %q", got, up.User.ID)
		}
		if r := e.createPAT(el.AccessToken, exp, nil); r.Status != 200 {
			return fmt.Errorf("POST /pat with the elevated token answered %d: %s", r.Status, r.Body)
		}
		return nil
	})

	step("the stored counter follows the authenticator's", func(ctx context.Context) error {
		creds, err := credentials(ctx)
		if err != nil {
			return err
		}
		stored := e.count(`SELECT counter FROM auth.user_security_keys WHERE user_id = ?`, up.User.ID)
		if len(creds) != 1 || stored != int64(creds[0].SignCount) || stored < 2 {
			return fmt.Errorf("stored counter %d, authenticator's %v", stored, creds)
		}
		return nil
	})
	t.Logf("browser test took %s", time.Since(began).Round(time.Millisecond))
}

// evaluate runs a script of the page and waits for the promise it returns.
func evaluate[T any](ctx context.Context, expr string) (T, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// tail is the end of Chromium's output without the lines about D-Bus,
// which a container has none of.
func tail(s string, n int) string {
	var kept []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.Contains(line, "dbus/") {
			kept = append(kept, line)
		}
	}
	s = strings.Join(kept, "\n")
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
