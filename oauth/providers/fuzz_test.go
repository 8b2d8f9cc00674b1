package providers

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// Apple's `user` form field arrives from the browser: anything may be in it.
func FuzzParseAppleUser(f *testing.F) {
	f.Add(`{"name":{"firstName":"John","lastName":"Appleseed"},"email":"john@privaterelay.appleid.com"}`)
	f.Add(`{"name":{"firstName":"","lastName":"Ng"}}`)
	f.Add(`{"name":"John"}`)
	f.Add(`{"name":{"firstName":1}}`)
	f.Add(`[]`)
	f.Add(`{"name":{"firstName":"\u0000\ud800"}}`)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		name := parseAppleUser(s)
		if len(s) > maxAppleUser && name != "" {
			t.Fatalf("oversized field read: %q", name)
		}
		if !utf8.ValidString(name) {
			t.Fatalf("invalid UTF-8 name %q", name)
		}
		if name != "" && name != joinName(name) {
			t.Fatalf("name %q is not trimmed", name)
		}
	})
}

// A callback's query string or form is chosen by whoever sends the browser
// there; its error parameters must always be classified, never ignored.
func FuzzCallback(f *testing.F) {
	f.Add("state=s&code=c")
	f.Add("state=s&error=access_denied&error_description=User+denied")
	f.Add("state=s&error=user_cancelled_authorize")
	f.Add("state=s&oauth_token=t&oauth_verifier=v")
	f.Add("denied=t")
	f.Add("error=&code=c&user=%7B%7D")
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		cb := ParseCallback(v)
		err = callbackError("p", cb)
		if cb.Error == "" && cb.Denied == "" {
			if err != nil {
				t.Fatalf("no error parameter but %v", err)
			}
			return
		}
		var pe *Error
		if !errors.As(err, &pe) || pe.Stage != StageCallback || !(errors.Is(err, ErrDenied) || errors.Is(err, ErrProvider)) {
			t.Fatalf("error parameters %+v gave %v", cb, err)
		}
	})
}

// ID tokens come from clients of POST /signin/idtoken. Whatever the bytes,
// Verify must never panic, and must accept only what the key signed.
func FuzzVerifyIDToken(f *testing.F) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(set) }))
	f.Cleanup(srv.Close)
	now := time.Unix(1_700_000_000, 0)
	d := deps{client: srv.Client(), now: func() time.Time { return now }, keyRefetch: time.Minute}
	v := &IDTokenVerifier{claims: standardClaims,
		check: staticIDTokenCheck("fuzz", "https://issuer.example.com", []string{"aud-1"}, newKeySet(srv.URL, d), d)}
	want := Profile{ProviderUserID: "sub-1", Email: "a@example.com", EmailVerified: true, DisplayName: "A"}

	sum := sha256.Sum256([]byte("nonce-1"))
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": "https://issuer.example.com", "aud": "aud-1",
		"sub": "sub-1", "email": "a@example.com", "email_verified": true, "name": "A",
		"nonce": hex.EncodeToString(sum[:]), "exp": now.Add(time.Hour).Unix()})
	tok.Header["kid"] = "k1"
	good, err := tok.SignedString(key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "nonce-1")
	f.Add(good, "")
	f.Add(good, "nonce-2")
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "")
	f.Add("a.b.c", "")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, raw, nonce string) {
		p, err := v.Verify(context.Background(), raw, nonce)
		if err != nil {
			if !errors.Is(err, ErrInvalidIDToken) {
				t.Fatalf("unexpected kind: %v", err)
			}
			return
		}
		if p != want {
			t.Fatalf("accepted a token that was not signed: %+v", p)
		}
	})
}
