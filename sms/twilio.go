package sms

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/hasura-auth-go/auth/sms/phone"
)

// TwilioMessages sends texts with Twilio's Messages API:
// POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json, a form body,
// basic auth with the account SID and auth token.
type TwilioMessages struct {
	api      *apiClient
	endpoint string
	sender   url.Values // MessagingServiceSid=MG… or From=<number or sender ID>
}

// NewTwilioMessages builds the sender from cfg's AUTH_SMS_TWILIO_* fields.
func NewTwilioMessages(cfg Config) *TwilioMessages {
	sid := strings.TrimSpace(cfg.TwilioAccountSID)
	from := strings.TrimSpace(cfg.TwilioMessagingServiceID)
	sender := url.Values{}
	if strings.HasPrefix(from, sidMessagingService) {
		sender.Set("MessagingServiceSid", from)
	} else {
		sender.Set("From", from)
	}
	return &TwilioMessages{
		api:      newAPIClient("twilio", sid, cfg.TwilioAuthToken, cfg.Timeout),
		endpoint: strings.TrimRight(strings.TrimSpace(cfg.TwilioAPIURL), "/") + "/2010-04-01/Accounts/" + url.PathEscape(sid) + "/Messages.json",
		sender:   sender,
	}
}

// Send creates one outbound message.
func (t *TwilioMessages) Send(ctx context.Context, to phone.Number, text string) error {
	form := url.Values{"To": {to.String()}, "Body": {text}}
	for k, v := range t.sender {
		form[k] = v
	}
	a, err := t.api.post(ctx, t.endpoint, "application/x-www-form-urlencoded", []byte(form.Encode()))
	if err != nil {
		return err
	}
	if ok(a.status) {
		return nil
	}
	return twilioFailure(t.api, a)
}

// twilioError is the body of Twilio's REST error answers.
type twilioError struct {
	Code    int    `json:"code"`
	Message string `json:"message"` // may hold the number: read for classification only
}

// Twilio error codes meaning "this destination cannot get an SMS from us".
var twilioNumberCodes = map[int]bool{
	21211: true, // invalid To number
	21214: true, // To number cannot be reached
	21217: true, // number does not appear to be valid
	21408: true, // the account may not send to the number's region
	21610: true, // the recipient has opted out (replied STOP)
	21612: true, // To number not reachable via SMS
	21614: true, // To number is not a mobile number
	60205: true, // Verify: SMS not supported by a landline
}

// twilioFailure classifies a non-2xx Twilio answer (Messages and Verify
// share the error body).
func twilioFailure(c *apiClient, a *answer) *ProviderError {
	var te twilioError
	_ = json.Unmarshal(a.body, &te) // an unreadable body leaves code 0
	code := ""
	if te.Code != 0 {
		code = strconv.Itoa(te.Code)
	}
	if a.status >= 400 && a.status < 500 && (twilioNumberCodes[te.Code] || te.Code == 60200 && mentionsTo(te.Message)) {
		return &ProviderError{Provider: c.provider, Kind: KindInvalidNumber, Status: a.status, Code: code}
	}
	return c.failure(a, code)
}

// toParam finds the word To in Verify's "invalid parameter" message, which
// tells an invalid number from another invalid parameter (a locale).
var toParam = regexp.MustCompile(`\bTo\b`)

func mentionsTo(msg string) bool { return toParam.MatchString(msg) }
