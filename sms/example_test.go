package sms_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hasura-auth-go/auth/sms"
	"github.com/hasura-auth-go/auth/sms/phone"
)

// Twilio with a Messaging Service: what AUTH_SMS_* set in the environment
// become, and the two calls the sign-in flow makes.
func ExampleNew_twilio() {
	cfg := sms.DefaultConfig()
	cfg.Enabled = true                                                  // AUTH_SMS_PASSWORDLESS_ENABLED=true
	cfg.Provider = "twilio"                                             // AUTH_SMS_PROVIDER=twilio
	cfg.TwilioAccountSID = "AC0123456789abcdef0123456789abcdef"         // AUTH_SMS_TWILIO_ACCOUNT_SID
	cfg.TwilioAuthToken = "your-auth-token"                             // AUTH_SMS_TWILIO_AUTH_TOKEN
	cfg.TwilioMessagingServiceID = "MG0123456789abcdef0123456789abcdef" // AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID (VA… for Twilio Verify)
	svc, err := sms.New(cfg, slog.Default(), nil)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	// POST /signin/passwordless/sms
	to, err := phone.Parse("+64 21 123 4567") // a *phone.InvalidError answers 400
	if err != nil {
		return
	}
	issued, err := svc.Send(ctx, to, "en")
	switch {
	case errors.Is(err, sms.ErrInvalidNumber): // 400
	case errors.Is(err, sms.ErrProviderFailed): // 502
	case err == nil:
		// In the transaction: otp_hash = issued.Hash, otp_hash_expires_at =
		// issued.ExpiresAt, otp_method_last_used = issued.Method, failures = 0.
		fmt.Println(issued.Method)
	}

	// POST /signin/passwordless/sms/otp, in a transaction with the user row
	// locked: read sms.Stored, then write what the verdict says.
	var stored sms.Stored
	verdict, err := svc.Check(ctx, to, "123456", stored)
	if err == nil && verdict == sms.Accepted {
		fmt.Println("signed in")
	}
}
