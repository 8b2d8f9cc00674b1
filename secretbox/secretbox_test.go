package secretbox

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func mustRing(t *testing.T, cur []byte, prev ...[]byte) *Box {
	t.Helper()
	k, err := New(cur, prev...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	key, err := ParseHexKey(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	k := mustRing(t, key)
	sealed, err := k.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("user-1"))
	if err != nil {
		t.Fatal(err)
	}
	if !IsSealed(sealed) || strings.Contains(sealed, "JBSWY3DPEHPK3PXP") || SealedWith(sealed) != k.CurrentID() {
		t.Fatalf("not sealed under the current key: %q", sealed)
	}
	again, _ := k.Seal([]byte("JBSWY3DPEHPK3PXP"), []byte("user-1"))
	if again == sealed {
		t.Fatal("nonce reused: equal plaintexts sealed to equal values")
	}
	plain, stale, err := k.OpenStale(sealed, []byte("user-1"))
	if err != nil || stale || string(plain) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open: %q %v %v", plain, stale, err)
	}
	if _, err := k.Open(sealed, []byte("user-2")); err == nil {
		t.Fatal("opened with another row's aad")
	}
	if _, err := k.Open(sealed[:len(sealed)-2]+"AA", []byte("user-1")); err == nil {
		t.Fatal("opened a tampered value")
	}
	if _, err := k.Open(Prefix+k.CurrentID()+":!!", nil); err == nil {
		t.Fatal("opened a malformed value")
	}
	other := mustRing(t, bytes.Repeat([]byte{1}, 32))
	if _, err := other.Open(sealed, []byte("user-1")); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("another key: %v", err)
	}
}

func TestRotation(t *testing.T) {
	old, cur := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	sealedOld, _ := mustRing(t, old).Seal([]byte("s"), nil)
	k := mustRing(t, cur, old)
	plain, stale, err := k.OpenStale(sealedOld, nil)
	if err != nil || !stale || string(plain) != "s" {
		t.Fatalf("previous key: %q %v %v", plain, stale, err)
	}
	resealed, _ := k.Seal(plain, nil)
	if SealedWith(resealed) != KeyID(cur) || SealedWith(sealedOld) != KeyID(old) {
		t.Fatal("key ids")
	}
	if _, err := New(nil, old); err == nil {
		t.Fatal("previous keys without a current one")
	}
}

func TestPlaintextPassesThrough(t *testing.T) {
	var none *Box // no key configured
	s, err := none.Seal([]byte("SECRET"), nil)
	if err != nil || s != "SECRET" || none.Enabled() || none.CurrentID() != "" {
		t.Fatalf("seal without key: %q %v", s, err)
	}
	if p, stale, err := none.OpenStale("SECRET", nil); err != nil || stale || string(p) != "SECRET" {
		t.Fatalf("open plaintext without key: %q %v", p, err)
	}
	if _, err := none.Open(Prefix+"abcd1234:AAAA", nil); !errors.Is(err, ErrNoKey) {
		t.Fatalf("sealed without key: %v", err)
	}
	k := mustRing(t, bytes.Repeat([]byte{7}, 32))
	if p, stale, err := k.OpenStale("LEGACYPLAIN", nil); err != nil || !stale || string(p) != "LEGACYPLAIN" {
		t.Fatalf("legacy plaintext with key: %q %v %v", p, stale, err)
	}
	if k, err := New(nil); err != nil || k != nil {
		t.Fatalf("empty key: %v %v", k, err)
	}
}

func TestParseHexKey(t *testing.T) {
	for _, bad := range []string{"", "abcd", strings.Repeat("zz", 32), strings.Repeat("ab", 33)} {
		if _, err := ParseHexKey(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Error("accepted a 16-byte key")
	}
}
