package sms

import (
	"context"
	"errors"
	"net"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// The classification of provider answers the fakes do not produce.
func TestTwilioAnswerClassification(t *testing.T) {
	c := &apiClient{provider: "twilio"}
	cases := []struct {
		status int
		body   string
		kind   Kind
		code   string
	}{
		{400, `{"code":21211,"message":"The 'To' number +6421 is not a valid phone number.","status":400}`, KindInvalidNumber, "21211"},
		{400, `{"code":21614,"message":"'To' number is not a valid mobile number","status":400}`, KindInvalidNumber, "21614"},
		{400, `{"code":21408,"message":"Permission to send an SMS has not been enabled for the region","status":400}`, KindInvalidNumber, "21408"},
		{400, `{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}`, KindInvalidNumber, "21610"},
		{400, `{"code":60205,"message":"SMS is not supported by landline phone number","status":400}`, KindInvalidNumber, "60205"},
		{400, "{\"code\":60200,\"message\":\"Invalid parameter `To`: +1555\",\"status\":400}", KindInvalidNumber, "60200"},
		{400, `{"code":60200,"message":"Invalid parameter: Locale","status":400}`, KindRejected, "60200"},
		{400, `{"code":21606,"message":"The From phone number is not a valid, SMS-capable number","status":400}`, KindRejected, "21606"},
		{401, `{"code":20003,"message":"Authenticate","status":401}`, KindRejected, "20003"},
		{403, `{"code":60410,"message":"Verification delivery attempt blocked","status":403}`, KindRejected, "60410"},
		{429, `{"code":20429,"message":"Too Many Requests","status":429}`, KindUnavailable, "20429"},
		{429, `{"code":60203,"message":"Max send attempts reached","status":429}`, KindUnavailable, "60203"},
		{500, `{"code":20500,"message":"Internal Server Error","status":500}`, KindUnavailable, "20500"},
		{502, `<html>Bad Gateway</html>`, KindUnavailable, ""},
		{400, `not json`, KindRejected, ""},
		{404, ``, KindRejected, ""},
		{302, ``, KindRejected, ""},
	}
	for _, tc := range cases {
		pe := twilioFailure(c, &answer{status: tc.status, body: []byte(tc.body)})
		require.Equal(t, tc.kind, pe.Kind, "%d %s", tc.status, tc.body)
		require.Equal(t, tc.code, pe.Code)
		require.Equal(t, tc.status, pe.Status)
		require.NotContains(t, pe.Error(), "+", "no number, no message text")
	}
}

func TestTransportErrorsHideTheURL(t *testing.T) {
	secretURL := "https://api.example.com/2010-04-01/Accounts/AC0123/Messages.json"
	refused := &url.Error{Op: "Post", URL: secretURL, Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	pe := transportError("twilio", refused)
	require.Equal(t, KindUnavailable, pe.Kind)
	require.False(t, pe.Timeout)
	require.NotContains(t, pe.Error(), "AC0123")
	require.Contains(t, pe.Error(), "connection refused")
	require.ErrorIs(t, pe, ErrProviderFailed)

	deadline := &url.Error{Op: "Post", URL: secretURL, Err: context.DeadlineExceeded}
	pe = transportError("modica", deadline)
	require.True(t, pe.Timeout)
	require.Equal(t, "sms: modica: unavailable: timed out", pe.Error())
}

func TestModicaCodeIsAToken(t *testing.T) {
	require.True(t, modicaCode.MatchString("invalid_attrib"))
	require.False(t, modicaCode.MatchString("destination +64211234567 is invalid"))
	require.False(t, modicaCode.MatchString(""))
}
