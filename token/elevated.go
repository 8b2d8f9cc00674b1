package token

// ElevatedClaim is the session variable nhost sets, to the user's id, on an
// access token issued right after the user proved a credential again
// (Grant.Elevated). Hasura permissions and our sensitive endpoints can
// require it.
const ElevatedClaim = "x-hasura-auth-elevated"
