package sms

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/hasura-auth-go/auth/sms/phone"
)

// modicaPath is the Mobile Gateway REST v2 messages resource.
const modicaPath = "/rest/sms/v2/messages"

// Modica sends texts with Modica's Mobile Gateway REST API v2: POST
// {base}/rest/sms/v2/messages, a JSON body {destination, content}, basic
// auth with the gateway application name and password; 202 when queued.
type Modica struct {
	api      *apiClient
	endpoint string
}

// NewModica builds the sender from cfg's AUTH_SMS_MODICA_* fields.
func NewModica(cfg Config) *Modica {
	return &Modica{
		api:      newAPIClient("modica", strings.TrimSpace(cfg.ModicaUsername), cfg.ModicaPassword, cfg.Timeout),
		endpoint: strings.TrimRight(strings.TrimSpace(cfg.ModicaAPIURL), "/") + modicaPath,
	}
}

type modicaMessage struct {
	Destination string `json:"destination"`
	Content     string `json:"content"`
}

// modicaError is the body of Modica's error answers: a code such as
// invalid_attrib or missing_attrib and a description naming the attribute.
var modicaCode = regexp.MustCompile(`^[a-z_]{1,40}$`)

type modicaError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// Send queues one message.
func (m *Modica) Send(ctx context.Context, to phone.Number, text string) error {
	body, err := json.Marshal(modicaMessage{Destination: to.String(), Content: text})
	if err != nil {
		return &ProviderError{Provider: "modica", Kind: KindRejected, Err: err}
	}
	a, err := m.api.post(ctx, m.endpoint, "application/json", body)
	if err != nil {
		return err
	}
	if ok(a.status) {
		return nil
	}
	var me modicaError
	_ = json.Unmarshal(a.body, &me) // an unreadable body leaves the code empty
	code := ""
	if modicaCode.MatchString(me.Error) {
		code = me.Error // only a token like invalid_attrib: never free text
	}
	// Our content is ours and the destination is E.164 already, so an
	// attribute error that names the destination is the number's fault.
	if a.status == 400 || a.status == 422 {
		if strings.Contains(strings.ToLower(me.Description+" "+me.Error), "destination") {
			return &ProviderError{Provider: "modica", Kind: KindInvalidNumber, Status: a.status, Code: code}
		}
	}
	return m.api.failure(a, code)
}
