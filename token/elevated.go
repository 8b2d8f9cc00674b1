package token

import "context"

// ElevatedClaim is the session variable nhost sets, to the user's id, on an
// access token issued right after the user proved a credential again. Hasura
// permissions and our sensitive endpoints can require it.
const ElevatedClaim = "x-hasura-auth-elevated"

type elevatedKey struct{}

// WithElevated marks ctx so that access tokens issued under it carry
// ElevatedClaim. Only flows that have just checked a password or a TOTP code
// use it (account/elevate.go).
func WithElevated(ctx context.Context) context.Context {
	return context.WithValue(ctx, elevatedKey{}, true)
}

// IsElevated reports whether ctx was marked by WithElevated.
func IsElevated(ctx context.Context) bool {
	v, _ := ctx.Value(elevatedKey{}).(bool)
	return v
}
