package webauthn

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/descope/virtualwebauthn"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestUserHandleForms(t *testing.T) {
	for range 50 {
		id := uuid.New()
		h := UserHandle(id)
		require.Len(t, h, 27)
		require.Equal(t, id.String(), base64.RawURLEncoding.EncodeToString(h))
		for _, form := range [][]byte{h, []byte(id.String()), []byte(strings.ToUpper(id.String())), id[:]} {
			got, err := userIDFromHandle(form)
			require.NoError(t, err, "%x", form)
			require.Equal(t, id, got)
		}
	}
	id := uuid.New()
	for _, bad := range [][]byte{nil, {1, 2, 3}, []byte("{" + id.String() + "}"), []byte("urn:uuid:" + id.String()),
		[]byte(strings.ReplaceAll(id.String(), "-", "")), bytes.Repeat([]byte{0xff}, 27), bytes.Repeat([]byte("g"), 36)} {
		_, err := userIDFromHandle(bad)
		require.Error(t, err, "%q", bad)
	}
}

// The user handle comes from the client.
func FuzzUserHandle(f *testing.F) {
	id := uuid.MustParse("d0902ee3-d160-4853-af6a-8d4b6248117e")
	f.Add(UserHandle(id))
	f.Add([]byte(id.String()))
	f.Add(id[:])
	f.Add([]byte("not a handle"))
	f.Fuzz(func(t *testing.T, h []byte) {
		got, err := userIDFromHandle(h)
		if err != nil {
			return
		}
		// Whatever form was accepted, it names a user whose own handle
		// reads back as that user.
		again, err := userIDFromHandle(UserHandle(got))
		if err != nil || again != got {
			t.Fatalf("handle %x -> %s does not round-trip", h, got)
		}
	})
}

// The credential (registration or assertion response) comes from the
// client: parsing any bytes either succeeds with a challenge of ours' shape
// or fails as ErrMalformed, without panicking.
func FuzzParseCredential(f *testing.F) {
	rp := virtualwebauthn.RelyingParty{ID: "example.com", Name: "Example", Origin: "https://example.com"}
	auth := virtualwebauthn.NewAuthenticator()
	auth.Options.UserHandle = UserHandle(uuid.New())
	cred := virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2)
	challenge := bytes.Repeat([]byte{7}, 32)
	f.Add([]byte(virtualwebauthn.CreateAttestationResponse(rp, auth, cred, virtualwebauthn.AttestationOptions{Challenge: challenge})))
	f.Add([]byte(virtualwebauthn.CreateAssertionResponse(rp, auth, cred, virtualwebauthn.AssertionOptions{Challenge: challenge})))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":""}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(ch []byte, err error) {
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("untyped refusal: %v", err)
				}
				return
			}
			if len(ch) < protocol.MinimumChallengeLength || len(ch) > 64 {
				t.Fatalf("accepted a challenge of %d bytes", len(ch))
			}
		}
		_, ch, err := parseAttestation(data)
		check(ch, err)
		_, ch, err = parseAssertion(data)
		check(ch, err)
	})
}

// Sign-up options come from the client, at both steps.
func FuzzMergeOptions(f *testing.F) {
	f.Add([]byte(`{"displayName":"Ada","metadata":{"a":1}}`), []byte(`{"locale":"fr","metadata":{"b":2}}`))
	f.Add([]byte(``), []byte(`{"redirectTo":"https://example.com"}`))
	f.Add([]byte(`null`), []byte(`null`))
	f.Add([]byte(`{"a":1,"a":2}`), []byte(`[1]`))
	f.Fuzz(func(t *testing.T, begun, verify []byte) {
		out, err := MergeOptions(begun, verify)
		if err != nil {
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("untyped refusal: %v", err)
			}
			return
		}
		if out == nil {
			return
		}
		var merged, over, base map[string]json.RawMessage
		if err := json.Unmarshal(out, &merged); err != nil {
			t.Fatalf("merged options are not an object: %s", out)
		}
		_ = json.Unmarshal(verify, &over)
		_ = json.Unmarshal(begun, &base)
		for k, v := range over {
			if !jsonEqual(merged[k], v) {
				t.Fatalf("member %q of the verify options lost: %s", k, out)
			}
		}
		for k, v := range base {
			if _, set := over[k]; !set && !jsonEqual(merged[k], v) {
				t.Fatalf("member %q of the begun options lost: %s", k, out)
			}
		}
	})
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// transports is read from a column other tools may have written.
func FuzzTransports(f *testing.F) {
	for _, s := range []string{"", "usb,nfc", "internal, hybrid", `["usb","ble"]`, "{usb,nfc}", "USB;x", strings.Repeat("usb,", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts := parseTransports(s)
		for _, x := range ts {
			if !validTransport(x) {
				t.Fatalf("invalid transport %q from %q", x, s)
			}
		}
		formatted := formatTransports(descriptorTransports(ts))
		if len(formatted) > maxTransportsLen {
			t.Fatalf("%d bytes do not fit the column", len(formatted))
		}
		again := parseTransports(formatted)
		if !utf8.ValidString(formatted) || len(again) > len(ts) {
			t.Fatalf("%q -> %q -> %q", s, formatted, again)
		}
		for i := range again {
			if again[i] != ts[i] {
				t.Fatalf("%q -> %q -> %q", s, formatted, again)
			}
		}
	})
}

// credential_id is read from rows hasura-auth or another tool wrote.
func FuzzCredentialID(f *testing.F) {
	f.Add([]byte{0xfb, 0xff, 0x01})
	f.Add(bytes.Repeat([]byte{0x3e}, 64))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, s := range credentialIDSpellings(raw) {
			got, err := decodeCredentialID(s)
			if len(raw) == 0 {
				if err == nil {
					t.Fatalf("empty id accepted from %q", s)
				}
				continue
			}
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("%q decoded to %x (%v), want %x", s, got, err, raw)
			}
		}
		_, _ = decodeCredentialID(string(raw)) // arbitrary text: no panic
	})
}

func TestCheckNickname(t *testing.T) {
	for in, want := range map[string]string{"": "", "  YubiKey 5  ": "YubiKey 5", "Clé de Zoé 🔑": "Clé de Zoé 🔑", strings.Repeat("é", 100): strings.Repeat("é", 100)} {
		got, err := checkNickname(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
	}
	for _, bad := range []string{strings.Repeat("a", 101), "line\nbreak", "nul\x00", "\xff\xfe"} {
		_, err := checkNickname(bad)
		require.ErrorIs(t, err, ErrInvalidInput, "%q", bad)
	}
}
