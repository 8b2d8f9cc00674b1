package sms

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
)

// The two classes of provider failure the sign-in flow answers differently.
// Every *ProviderError is one of them (errors.Is).
var (
	// ErrInvalidNumber: the provider will not send to this number (invalid,
	// landline, unreachable, a region the account does not serve, opted
	// out). The person can fix it: answer 400.
	ErrInvalidNumber = errors.New("sms: the provider refused the phone number")
	// ErrProviderFailed: outage, timeout, a 5xx, an unreadable answer, or a
	// refusal of our request (credentials, account limits). Nothing the
	// person can fix: answer 502.
	ErrProviderFailed = errors.New("sms: the SMS provider failed")
)

// Kind classifies a ProviderError.
type Kind int

const (
	// KindInvalidNumber is ErrInvalidNumber.
	KindInvalidNumber Kind = iota + 1
	// KindUnavailable: no usable answer (network, timeout, 5xx, 429, garbage).
	KindUnavailable
	// KindRejected: the provider refused our request for a reason of ours
	// (401/403 credentials, configuration, account state). An operator must look.
	KindRejected
)

func (k Kind) String() string {
	switch k {
	case KindInvalidNumber:
		return "invalid number"
	case KindUnavailable:
		return "unavailable"
	case KindRejected:
		return "rejected"
	}
	return "unknown"
}

// ProviderError is a failed call to a provider. Its message holds the
// provider's name, the HTTP status and the provider's error code, never the
// provider's answer text, the phone number or credentials, so it may be
// logged; clients get only the class (ErrInvalidNumber, ErrProviderFailed).
type ProviderError struct {
	Provider string // "twilio", "twilio-verify", "modica"
	Kind     Kind
	Status   int    // HTTP status; 0 when no answer came
	Code     string // the provider's error code, when it gave one
	Timeout  bool   // the call ran out of time
	Err      error  // transport cause, without the request URL
}

func (e *ProviderError) Error() string {
	msg := fmt.Sprintf("sms: %s: %s", e.Provider, e.Kind)
	if e.Status != 0 {
		msg += ": HTTP " + strconv.Itoa(e.Status)
	}
	if e.Code != "" {
		msg += ", code " + e.Code
	}
	if e.Timeout {
		msg += ": timed out"
	} else if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrInvalidNumber / ErrProviderFailed) work.
func (e *ProviderError) Is(target error) bool {
	if e.Kind == KindInvalidNumber {
		return target == ErrInvalidNumber
	}
	return target == ErrProviderFailed
}

func (e *ProviderError) Unwrap() error { return e.Err }

// transportError classifies an error of http.Client.Do. The *url.Error is
// unwrapped so the request URL (with the account SID in Twilio's) stays out.
func transportError(provider string, err error) *ProviderError {
	pe := &ProviderError{Provider: provider, Kind: KindUnavailable, Err: err}
	var ue *url.Error
	if errors.As(err, &ue) {
		pe.Err = ue.Err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		pe.Timeout = true
	}
	return pe
}
