package config

import (
	"strings"
	"testing"
)

func TestMFAAndElevationSettings(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.MFAEnabled || c.MFATOTPIssuer != "auth" || c.RequireElevatedClaim != ElevatedDisabled {
		t.Fatalf("defaults: %v %q %q", c.MFAEnabled, c.MFATOTPIssuer, c.RequireElevatedClaim)
	}
	c, err = Load("", map[string]string{"AUTH_MFA_ENABLED": "true", "AUTH_MFA_TOTP_ISSUER": "Acme", "AUTH_REQUIRE_ELEVATED_CLAIM": "required"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.MFAEnabled || c.MFATOTPIssuer != "Acme" || c.RequireElevatedClaim != ElevatedRequired {
		t.Fatalf("set: %v %q %q", c.MFAEnabled, c.MFATOTPIssuer, c.RequireElevatedClaim)
	}
	for k, v := range map[string]string{"AUTH_REQUIRE_ELEVATED_CLAIM": "always", "AUTH_MFA_TOTP_ISSUER": " "} {
		_, err := Load("", map[string]string{k: v})
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%q: %v", k, v, err)
		}
	}
}
