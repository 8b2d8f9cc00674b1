package token

import "time"

// IssuedAtMillisClaim carries an access token's issue time in Unix
// milliseconds, beside the standard whole-second iat. The sessions epoch
// (session/epoch.go) compares against it: with iat alone, a token issued in
// the same second as a "log out everywhere" could not be told from one
// issued just after it. Hasura ignores claims outside its namespace.
const IssuedAtMillisClaim = "iat_ms"

// IssuedAt is when v was issued: IssuedAtMillisClaim when present, else iat
// (tokens from before the claim existed), else the zero time.
func IssuedAt(v *Verified) time.Time {
	if v == nil || v.Claims == nil {
		return time.Time{}
	}
	if ms, ok := v.Claims.Payload[IssuedAtMillisClaim].(float64); ok {
		return time.UnixMilli(int64(ms))
	}
	if s, ok := v.Claims.Payload["iat"].(float64); ok {
		return time.Unix(int64(s), 0)
	}
	return time.Time{}
}
