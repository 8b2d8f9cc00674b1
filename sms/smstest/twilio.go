package smstest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
)

// Twilio is a local Twilio: the Messages API under /2010-04-01 and the
// Verify API under /v2, on one base URL (give it as both the API and the
// Verify base).
type Twilio struct {
	*server
	AccountSID       string
	AuthToken        string
	VerifyServiceSID string // the one Verify service that exists
	MessagingSID     string // a Messaging Service SID the account owns

	messages      []TwilioMessage
	verifications map[string]*verification // by To
	started       []Verification
}

// TwilioMessage is one message created through the Messages API.
type TwilioMessage struct {
	To, Body, From, MessagingServiceSid string
}

// Verification is one Verify "start" request that was accepted.
type Verification struct {
	To, Channel, Locale string
	Code                string // the code Twilio would have texted
}

type verification struct {
	code     string
	checks   int
	sends    int
	approved bool
}

// Twilio's limits on one verification: 5 checks, 5 sends.
const (
	verifyMaxChecks = 5
	verifyMaxSends  = 5
)

// verifyLocales are the locales this fake accepts (Twilio knows more).
var verifyLocales = map[string]bool{"en": true, "fr": true, "es": true, "de": true, "cs": true, "bg": true, "pt-BR": true}

// NewTwilio starts a fake Twilio with fresh credentials and SIDs; it stops
// with the test.
func NewTwilio(t testing.TB) *Twilio {
	tw := &Twilio{
		AccountSID:       "AC" + randomHex(16),
		AuthToken:        randomHex(16),
		VerifyServiceSID: "VA" + randomHex(16),
		MessagingSID:     "MG" + randomHex(16),
		verifications:    map[string]*verification{},
	}
	tw.server = newServer(t, tw.AccountSID, tw.AuthToken, tw.handle)
	return tw
}

// Messages returns the messages created, in order.
func (tw *Twilio) Messages() []TwilioMessage {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return append([]TwilioMessage(nil), tw.messages...)
}

// Verifications returns the accepted Verify starts, in order.
func (tw *Twilio) Verifications() []Verification {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return append([]Verification(nil), tw.started...)
}

// VerifyCode is the code of the pending verification for to ("" if none).
func (tw *Twilio) VerifyCode(to string) string {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if v := tw.verifications[to]; v != nil {
		return v.code
	}
	return ""
}

// ExpireVerification ends the pending verification for to, as Twilio does
// after 10 minutes.
func (tw *Twilio) ExpireVerification(to string) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	delete(tw.verifications, to)
}

// twilioError writes Twilio's REST error body.
func twilioError(w http.ResponseWriter, status, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code": code, "message": message, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (tw *Twilio) handle(w http.ResponseWriter, r *http.Request, rec *Request) {
	if !rec.AuthOK {
		twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if r.Method != http.MethodPost {
		twilioError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}
	if rec.Form == nil {
		twilioError(w, http.StatusBadRequest, 20001, "Request body must be form-encoded")
		return
	}
	verifyBase := "/v2/Services/" + tw.VerifyServiceSID
	switch r.URL.Path {
	case "/2010-04-01/Accounts/" + tw.AccountSID + "/Messages.json":
		tw.createMessage(w, rec)
	case verifyBase + "/Verifications":
		tw.startVerification(w, rec)
	case verifyBase + "/VerificationCheck":
		tw.checkVerification(w, rec)
	default:
		twilioError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	}
}

func (tw *Twilio) createMessage(w http.ResponseWriter, rec *Request) {
	f := rec.Form
	m := TwilioMessage{To: f.Get("To"), Body: f.Get("Body"), From: f.Get("From"), MessagingServiceSid: f.Get("MessagingServiceSid")}
	switch {
	case m.To == "":
		twilioError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
	case m.Body == "":
		twilioError(w, http.StatusBadRequest, 21602, "Message body is required.")
	case m.From == "" && m.MessagingServiceSid == "":
		twilioError(w, http.StatusBadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.")
	case m.MessagingServiceSid != "" && m.MessagingServiceSid != tw.MessagingSID:
		twilioError(w, http.StatusBadRequest, 21701, "The Messaging Service Sid "+m.MessagingServiceSid+" is invalid.")
	case !strings.HasPrefix(m.To, "+") || tw.isRejected(m.To):
		twilioError(w, http.StatusBadRequest, 21211, "Invalid 'To' Phone Number: "+m.To)
	default:
		tw.mu.Lock()
		tw.messages = append(tw.messages, m)
		tw.mu.Unlock()
		status := "queued"
		if m.MessagingServiceSid != "" {
			status = "accepted"
		}
		writeJSON(w, http.StatusCreated, map[string]any{
			"sid": "SM" + randomHex(16), "account_sid": tw.AccountSID, "to": m.To, "from": nilIfEmpty(m.From),
			"messaging_service_sid": nilIfEmpty(m.MessagingServiceSid), "body": m.Body, "status": status,
			"direction": "outbound-api", "api_version": "2010-04-01", "error_code": nil, "error_message": nil,
		})
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (tw *Twilio) startVerification(w http.ResponseWriter, rec *Request) {
	f := rec.Form
	to, channel, locale := f.Get("To"), f.Get("Channel"), f.Get("Locale")
	switch {
	case channel != "sms":
		twilioError(w, http.StatusBadRequest, 60200, "Invalid parameter `Channel`: "+channel)
		return
	case f.Has("Locale") && !verifyLocales[locale]:
		twilioError(w, http.StatusBadRequest, 60200, "Invalid parameter: Locale")
		return
	case !strings.HasPrefix(to, "+") || tw.isRejected(to):
		twilioError(w, http.StatusBadRequest, 60200, "Invalid parameter `To`: "+to)
		return
	}
	tw.mu.Lock()
	v := tw.verifications[to]
	if v == nil || v.approved {
		v = &verification{code: randomDigits(6)}
		tw.verifications[to] = v
	}
	v.sends++
	if v.sends > verifyMaxSends {
		tw.mu.Unlock()
		twilioError(w, http.StatusTooManyRequests, 60203, "Max send attempts reached")
		return
	}
	tw.started = append(tw.started, Verification{To: to, Channel: channel, Locale: locale, Code: v.code})
	tw.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"sid": "VE" + randomHex(16), "service_sid": tw.VerifyServiceSID, "account_sid": tw.AccountSID,
		"to": to, "channel": channel, "status": "pending", "valid": false, "lookup": map[string]any{},
	})
}

func (tw *Twilio) checkVerification(w http.ResponseWriter, rec *Request) {
	to, code := rec.Form.Get("To"), rec.Form.Get("Code")
	if code == "" {
		twilioError(w, http.StatusBadRequest, 60200, "Invalid parameter: Code")
		return
	}
	tw.mu.Lock()
	v := tw.verifications[to]
	if v == nil {
		tw.mu.Unlock()
		twilioError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	v.checks++
	if v.checks > verifyMaxChecks {
		tw.mu.Unlock()
		twilioError(w, http.StatusTooManyRequests, 60202, "Max check attempts reached")
		return
	}
	status := "pending"
	if code == v.code {
		status = "approved"
		delete(tw.verifications, to) // an approved verification cannot be checked again
	}
	tw.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"sid": "VE" + randomHex(16), "service_sid": tw.VerifyServiceSID, "account_sid": tw.AccountSID,
		"to": to, "channel": "sms", "status": status, "valid": status == "approved",
	})
}

func randomDigits(n int) string {
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, err := rand.Int(rand.Reader, max)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%0*d", n, v)
}
