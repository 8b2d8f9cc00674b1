package smstest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// ModicaPath is the Mobile Gateway REST v2 messages resource.
const ModicaPath = "/rest/sms/v2/messages"

// Modica is a local Modica Mobile Gateway (REST v2 messages).
type Modica struct {
	*server
	Username string
	Password string

	messages []ModicaMessage
}

// ModicaMessage is one message accepted.
type ModicaMessage struct {
	Destination string `json:"destination"`
	Content     string `json:"content"`
}

// NewModica starts a fake Modica with fresh credentials; it stops with the
// test.
func NewModica(t testing.TB) *Modica {
	m := &Modica{Username: "app-" + randomHex(4), Password: randomHex(16)}
	m.server = newServer(t, m.Username, m.Password, m.handle)
	return m
}

// Messages returns the messages accepted, in order.
func (m *Modica) Messages() []ModicaMessage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]ModicaMessage(nil), m.messages...)
}

func modicaError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func (m *Modica) handle(w http.ResponseWriter, r *http.Request, rec *Request) {
	switch {
	case !rec.AuthOK:
		w.Header().Set("WWW-Authenticate", `Basic realm="gateway"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	case r.URL.Path != ModicaPath:
		http.NotFound(w, r)
		return
	case r.Method != http.MethodPost:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	case !strings.HasPrefix(rec.ContentType, "application/json"):
		modicaError(w, http.StatusBadRequest, "invalid_json", "the body must be application/json")
		return
	}
	var msg ModicaMessage
	dec := json.NewDecoder(strings.NewReader(string(rec.Body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&msg); err != nil {
		modicaError(w, http.StatusBadRequest, "invalid_json", "the body is not a message object")
		return
	}
	switch {
	case msg.Destination == "":
		modicaError(w, http.StatusBadRequest, "missing_attrib", "destination is required")
	case msg.Content == "":
		modicaError(w, http.StatusBadRequest, "missing_attrib", "content is required")
	case !strings.HasPrefix(msg.Destination, "+") || m.isRejected(msg.Destination):
		modicaError(w, http.StatusBadRequest, "invalid_attrib", "destination "+msg.Destination+" is not a valid mobile number")
	default:
		m.mu.Lock()
		m.messages = append(m.messages, msg)
		m.mu.Unlock()
		writeJSON(w, http.StatusAccepted, map[string]string{"id": randomUUID()})
	}
}

func randomUUID() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}
