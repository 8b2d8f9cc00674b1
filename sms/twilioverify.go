package sms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hasura-auth-go/auth/sms/phone"
)

// verifyTTL is how long a Twilio Verify code works (Twilio's default), and
// so the otp_hash_expires_at written for it, as hasura-auth writes.
const verifyTTL = 10 * time.Minute

// Twilio Verify codes are 4 to 10 digits, as the service is configured.
const (
	verifyMinDigits = 4
	verifyMaxDigits = 10
)

// TwilioVerify has Twilio Verify make, send and check the codes:
// POST {base}/v2/Services/{VA…}/Verifications (To, Channel=sms, Locale) and
// POST {base}/v2/Services/{VA…}/VerificationCheck (To, Code), form bodies,
// basic auth with the account SID and auth token.
type TwilioVerify struct {
	api       *apiClient
	verifyURL string
	checkURL  string
}

// NewTwilioVerify builds the client from cfg's AUTH_SMS_TWILIO_* fields;
// AUTH_SMS_TWILIO_MESSAGING_SERVICE_ID is the Verify service SID.
func NewTwilioVerify(cfg Config) *TwilioVerify {
	base := strings.TrimRight(strings.TrimSpace(cfg.TwilioVerifyURL), "/") +
		"/v2/Services/" + url.PathEscape(strings.TrimSpace(cfg.TwilioMessagingServiceID))
	return &TwilioVerify{
		api:       newAPIClient("twilio-verify", strings.TrimSpace(cfg.TwilioAccountSID), cfg.TwilioAuthToken, cfg.Timeout),
		verifyURL: base + "/Verifications",
		checkURL:  base + "/VerificationCheck",
	}
}

// Start asks Twilio to text a new code. Twilio words the message in locale
// when it knows the language; when it refuses the locale the request is
// made again without one (Twilio then picks from the number's country).
func (v *TwilioVerify) Start(ctx context.Context, to phone.Number, locale string) error {
	form := url.Values{"To": {to.String()}, "Channel": {"sms"}}
	if l := strings.TrimSpace(locale); l != "" {
		form.Set("Locale", l)
	}
	err := v.start(ctx, form)
	var pe *ProviderError
	if form.Has("Locale") && errors.As(err, &pe) && pe.Code == "60200" && pe.Kind != KindInvalidNumber {
		form.Del("Locale")
		err = v.start(ctx, form)
	}
	return err
}

func (v *TwilioVerify) start(ctx context.Context, form url.Values) error {
	a, err := v.api.post(ctx, v.verifyURL, "application/x-www-form-urlencoded", []byte(form.Encode()))
	if err != nil {
		return err
	}
	if ok(a.status) {
		return nil
	}
	return twilioFailure(v.api, a)
}

// checkResult is Twilio's word on one code.
type checkResult int

const (
	codeWrong    checkResult = iota + 1
	codeApproved             // status "approved"
	codeGone                 // no pending verification (expired, used, or too many tries)
)

// Check asks Twilio whether code is the one it sent to to.
func (v *TwilioVerify) Check(ctx context.Context, to phone.Number, code string) (checkResult, error) {
	if !isDigits(code, verifyMinDigits, verifyMaxDigits) {
		return codeWrong, nil // not worth a call; counted as a wrong code
	}
	form := url.Values{"To": {to.String()}, "Code": {code}}
	a, err := v.api.post(ctx, v.checkURL, "application/x-www-form-urlencoded", []byte(form.Encode()))
	if err != nil {
		return 0, err
	}
	if ok(a.status) {
		var res struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(a.body, &res); err != nil || res.Status == "" {
			return 0, &ProviderError{Provider: v.api.provider, Kind: KindUnavailable, Status: a.status, Code: "unreadable answer"}
		}
		if res.Status == "approved" {
			return codeApproved, nil
		}
		return codeWrong, nil
	}
	pe := twilioFailure(v.api, a)
	// 404 (20404): no pending verification for this number any more;
	// 429 with 60202: Twilio's own limit of wrong codes was reached.
	if a.status == http.StatusNotFound || (a.status == http.StatusTooManyRequests && pe.Code == "60202") {
		return codeGone, nil
	}
	return 0, pe
}

// placeholderHash is what a Verify sign-in stores in otp_hash: the bcrypt
// hash of a random secret nobody knows. Our checks go to Twilio; a
// hasura-auth that reads the row (say, after a switch to the Messages API)
// finds a well-formed hash that no code matches.
func placeholderHash() (string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(secret)), bcrypt.MinCost)
	return string(h), err
}
