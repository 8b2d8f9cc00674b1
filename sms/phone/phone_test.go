package phone_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/sms/phone"
)

func TestParseNormalisesToE164(t *testing.T) {
	cases := []struct {
		in, e164, region string
	}{
		{"+64211234567", "+64211234567", "NZ"},
		{"+64 21 123 4567", "+64211234567", "NZ"},
		{"  +64-21-123-4567\t", "+64211234567", "NZ"},
		{"+1 (650) 253-0000", "+16502530000", "US"},
		{"+1.650.253.0000", "+16502530000", "US"},
		{"+33 6 12 34 56 78", "+33612345678", "FR"},
		{"+49 151 23456789", "+4915123456789", "DE"},
		{"+81 90-1234-5678", "+819012345678", "JP"},
		{"+7 912 345 67 89", "+79123456789", "RU"},
		{"+800 1234 5678", "+80012345678", "001"},      // non-geographic (freephone)
		{"+44 (0) 7400 123456", "+447400123456", "GB"}, // national trunk 0 in brackets
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			n, err := phone.Parse(c.in)
			require.NoError(t, err)
			require.Equal(t, c.e164, n.String())
			require.Equal(t, c.region, n.Region())
			require.False(t, n.IsZero())
			again, err := phone.Parse(n.String())
			require.NoError(t, err)
			require.Equal(t, n, again, "E.164 output parses to itself")
		})
	}
}

func TestParseRefusesWithReason(t *testing.T) {
	cases := []struct {
		name, in string
		reason   phone.Reason
	}{
		{"empty", "", phone.Empty},
		{"blank", "   ", phone.Empty},
		{"too long", "+64 " + strings.Repeat("1", 80), phone.TooLong},
		{"letters", "+1 800 FLOWERS", phone.BadCharacter},
		{"extension", "+1 650 253 0000 x123", phone.BadCharacter},
		{"tel uri", "tel:+16502530000", phone.BadCharacter},
		{"second plus", "+64+211234567", phone.BadCharacter},
		{"full-width digits", "+６４２１１２３４５６７", phone.BadCharacter},
		{"national format", "021 123 4567", phone.NotInternational},
		{"idd prefix", "0064211234567", phone.NotInternational},
		{"unknown country code", "+999 123456", phone.Unparsable},
		{"zero country code", "+0 123456", phone.Unparsable},
		{"plus only", "+", phone.Unparsable},
		{"too short", "+64 1", phone.Unparsable},
		{"not in the plan", "+44 1234", phone.NotValid},
		{"unassigned range", "+1 123 456 7890", phone.NotValid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := phone.Parse(c.in)
			require.True(t, n.IsZero())
			var inv *phone.InvalidError
			require.True(t, errors.As(err, &inv), "got %v", err)
			require.Equal(t, c.reason, inv.Reason)
			if in := strings.TrimSpace(c.in); in != "" {
				require.NotContains(t, err.Error(), in, "the message does not echo the input")
			}
		})
	}
}

func TestMustParsePanicsOnInvalid(t *testing.T) {
	require.Equal(t, "+64211234567", phone.MustParse("+64 21 123 4567").String())
	require.Panics(t, func() { phone.MustParse("12") })
}

// FuzzParse: any input either fails with an InvalidError or yields an
// E.164 number (+ and 2 to 15 digits) that parses to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"+64211234567", "+1 (650) 253-0000", "+44 (0) 7400 123456", "+800 1234 5678",
		"", "+", "++1", "021 123 4567", "+999", "+1 800 FLOWERS", "+0", "+(((", "+1-",
		"+7 912 345 67 89", "+86 139 1234 5678", "+8613912345678000000000000", "+ 1 2 3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, err := phone.Parse(in)
		if err != nil {
			var inv *phone.InvalidError
			if !errors.As(err, &inv) || inv.Reason < phone.Empty || inv.Reason > phone.NotValid {
				t.Fatalf("Parse(%q): untyped error %v", in, err)
			}
			if !n.IsZero() {
				t.Fatalf("Parse(%q) failed but returned %q", in, n)
			}
			return
		}
		s := n.String()
		if len(s) < 3 || len(s) > 16 || s[0] != '+' || strings.Trim(s[1:], "0123456789") != "" {
			t.Fatalf("Parse(%q) = %q: not E.164", in, s)
		}
		if n.Region() == "" {
			t.Fatalf("Parse(%q) = %q without a region", in, s)
		}
		again, err := phone.Parse(s)
		if err != nil || again != n {
			t.Fatalf("Parse(%q) = %q, which parses to %q, %v", in, s, again, err)
		}
	})
}
